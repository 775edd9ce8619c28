using System.Security.Cryptography;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Import;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Import;

/// <summary>`upload` is the import pipeline over a local folder: parts hashed and uploaded from one read, resumable, manifest last.</summary>
public sealed class FolderUploadTests : IDisposable
{
    private const int PartSize = 5 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static readonly ImportOptions Options = new() { PartSize = PartSize, Parallelism = 3, Revision = "v1" };
    private readonly InMemoryObjectStore _inner = new();
    private readonly FaultInjectingObjectStore _store;
    private readonly string _folder = Directory.CreateTempSubdirectory("hcpfs-upload-").FullName;
    private readonly byte[] _weights = RandomBytes((2 * PartSize) + 777, 3);

    public FolderUploadTests()
    {
        _store = new FaultInjectingObjectStore(_inner);
        Directory.CreateDirectory(Path.Combine(_folder, "sub"));
        File.WriteAllBytes(Path.Combine(_folder, "sub", "weights.bin"), _weights);
        File.WriteAllText(Path.Combine(_folder, "config.json"), "{\"a\":1}");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_folder_is_uploaded_in_parts_with_its_digests_and_no_receipts_are_left()
    {
        var result = await UploadAsync();

        var manifest = result.Manifest;
        Assert.Equal("upload", manifest.Source);
        Assert.Equal(["config.json", "sub/weights.bin"], manifest.Files.Select(f => f.Path));
        var weights = manifest.Files[1];
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_weights)), weights.Sha256);
        Assert.Equal(3, _store.Calls("upload_part")); // 2 full parts + the tail, one multipart upload
        Assert.Equal(_weights, await GetAsync(TestModel.Layout.FileKey("acme", "m", manifest.Commit, "sub/weights.bin")));
        Assert.DoesNotContain(await KeysAsync(), k => k.Contains("/.hcpmodelfs/import/", StringComparison.Ordinal));
        using var catalog = new ModelCatalog(_inner, TestModel.Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance);
        Assert.NotNull(await catalog.ResolveAsync("acme", "m", "v1", CancellationToken.None).WaitAsync(Bounded));
    }

    [Fact]
    public async Task The_same_folder_again_is_the_same_commit_and_uploads_nothing_but_a_touched_file_makes_a_new_one()
    {
        var first = await UploadAsync();
        var parts = _store.Calls("upload_part");
        var puts = _store.Calls("put") + _store.Calls("create_exclusive");

        var again = await UploadAsync();
        Assert.Equal(first.Commit, again.Commit);
        Assert.True(again.AlreadyImported);
        Assert.Equal(parts, _store.Calls("upload_part"));
        Assert.Equal(puts, _store.Calls("put") + _store.Calls("create_exclusive"));

        File.SetLastWriteTimeUtc(Path.Combine(_folder, "config.json"), DateTime.UtcNow.AddMinutes(-5));
        var touched = await UploadAsync();
        Assert.NotEqual(first.Commit, touched.Commit);
    }

    [Fact]
    public async Task A_file_that_changes_after_the_listing_fails_the_upload_and_commits_nothing()
    {
        var plan = await ModelImporter.PlanAsync(new FolderSource(_folder), "acme", "m", Options, CancellationToken.None).WaitAsync(Bounded);
        await File.AppendAllTextAsync(Path.Combine(_folder, "config.json"), " ");

        var error = await Assert.ThrowsAsync<SourceChangedException>(() =>
            new ModelImporter(_store, TestModel.Layout).ImportAsync(plan, null, CancellationToken.None).WaitAsync(Bounded));

        Assert.Contains("config.json changed during the upload", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await KeysAsync(), k => k.EndsWith("/manifest.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_path_a_model_cannot_hold_is_refused_before_anything_is_written()
    {
        Directory.CreateDirectory(Path.Combine(_folder, ".hcpmodelfs"));
        await File.WriteAllTextAsync(Path.Combine(_folder, ".hcpmodelfs", "x"), "x");

        var error = await Assert.ThrowsAsync<ArgumentException>(UploadAsync);

        Assert.Contains("Cannot publish '.hcpmodelfs/x'", error.Message, StringComparison.Ordinal);
        Assert.Empty(await KeysAsync());
    }

    private async Task<ImportResult> UploadAsync()
    {
        var plan = await ModelImporter.PlanAsync(new FolderSource(_folder), "acme", "m", Options, CancellationToken.None).WaitAsync(Bounded);
        return await new ModelImporter(_store, TestModel.Layout).ImportAsync(plan, null, CancellationToken.None).WaitAsync(Bounded);
    }

    private async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        await foreach (var entry in _inner.ListAsync(string.Empty, null, CancellationToken.None))
        {
            keys.Add(entry.Key);
        }

        return keys;
    }

    private async Task<byte[]> GetAsync(string key)
    {
        var head = await _inner.HeadAsync(key, CancellationToken.None) ?? throw new InvalidOperationException($"{key} is missing");
        var bytes = new byte[head.Size];
        await _inner.ReadRangeAsync(key, 0, bytes, null, CancellationToken.None);
        return bytes;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
