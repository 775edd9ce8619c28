using System.Security.Cryptography;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Import;
using HcpModelFs.Store;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Import;

/// <summary>The import engine between two in-memory stores: one pass per byte, the manifest last, resume by receipts.</summary>
public sealed class ModelImporterTests
{
    private const int PartSize = 5 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static readonly ImportOptions Options = new() { PartSize = PartSize, Parallelism = 3 };
    private readonly InMemoryObjectStore _source = new();
    private readonly InMemoryObjectStore _destination = new();
    private readonly byte[] _weights = RandomBytes((2 * PartSize) + 12345, 1);
    private readonly byte[] _config = "{\"a\":1}"u8.ToArray();

    public ModelImporterTests()
    {
        _source.Seed("in/config.json", _config);
        _source.Seed("in/sub/weights.bin", _weights);
        _source.Seed("in/sub/", []); // a folder marker, skipped
        _source.Seed("other/x.bin", [1]); // outside the prefix
    }

    [Fact]
    public async Task Every_byte_is_read_from_the_source_once_and_the_manifest_holds_its_digests()
    {
        var importer = new ModelImporter(_destination, TestModel.Layout);
        var plan = await PlanAsync(Options);
        var result = await importer.ImportAsync(plan, null, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal((2, _weights.Length + _config.Length, _weights.Length + (long)_config.Length), (result.Files, result.Bytes, result.CopiedBytes));
        Assert.Equal(1 + 1 + 3, _source.Count("read")); // the range probe, config.json, three parts of weights.bin
        var manifest = await ReadManifestAsync(result.Commit);
        Assert.Equal("import", manifest.Source);
        var weights = Assert.Single(manifest.Files, f => f.Path == "sub/weights.bin");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_weights)), weights.Sha256);
        Assert.NotNull(weights.Blocks!.Decode(_weights.Length, Options.BlockSize));
        Assert.Equal(_weights, await ReadAsync(TestModel.Layout.FileKey("acme", "m", result.Commit, "sub/weights.bin"), _weights.Length));
        Assert.Equal(1, _destination.Count("complete_multipart"));

        var again = await importer.ImportAsync(await PlanAsync(Options), null, CancellationToken.None).WaitAsync(Bounded);
        Assert.True(again.AlreadyImported);
        Assert.Equal((result.Commit, 0L), (again.Commit, again.CopiedBytes));
    }

    [Fact]
    public async Task After_a_failed_run_nothing_is_visible_and_a_rerun_copies_only_the_unfinished_file()
    {
        var faulty = new FaultInjectingObjectStore(_destination);
        faulty.FailNext("complete_multipart", () => new StoreException(StoreErrorKind.AccessDenied, "refused"));
        var plan = await PlanAsync(Options);
        await Assert.ThrowsAsync<StoreException>(() => new ModelImporter(faulty, TestModel.Layout).ImportAsync(plan, null, CancellationToken.None).WaitAsync(Bounded));
        Assert.Null(await _destination.HeadAsync(TestModel.Layout.ManifestKey("acme", "m", plan.Commit), CancellationToken.None));
        Assert.Empty(await ListAsync(TestModel.Layout.ModelPrefix("acme", "m") + StoreLayout.MetaFolder + "/refs/"));
        var readsBefore = _source.Count("read");

        var result = await new ModelImporter(_destination, TestModel.Layout).ImportAsync(plan, null, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal((1, (long)_weights.Length), (result.ResumedFiles, result.CopiedBytes));
        Assert.Equal(1 + 3, _source.Count("read") - readsBefore); // the probe and weights.bin's parts; config.json not again
        Assert.NotNull(await _destination.HeadAsync(TestModel.Layout.ManifestKey("acme", "m", plan.Commit), CancellationToken.None));
    }

    [Fact]
    public async Task An_object_left_without_its_receipt_is_hashed_from_the_destination_not_copied_again()
    {
        var importer = new ModelImporter(_destination, TestModel.Layout);
        var first = await importer.ImportAsync(await PlanAsync(Options), null, CancellationToken.None).WaitAsync(Bounded);
        var firstManifest = await ReadManifestAsync(first.Commit);
        // As if killed after the objects but before receipts, manifest and refs.
        foreach (var key in await ListAsync(TestModel.Layout.ModelPrefix("acme", "m")))
        {
            if (key.Contains("/.hcpmodelfs/", StringComparison.Ordinal))
            {
                await _destination.DeleteAsync(key, CancellationToken.None);
            }
        }

        var readsBefore = _source.Count("read");
        var second = await importer.ImportAsync(await PlanAsync(Options), null, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal((first.Commit, 0L), (second.Commit, second.CopiedBytes));
        Assert.Equal(1, _source.Count("read") - readsBefore); // the range probe only
        Assert.Equal(firstManifest.Files, (await ReadManifestAsync(second.Commit)).Files);
    }

    [Fact]
    public async Task A_source_object_changed_after_the_listing_fails_the_import_naming_it_and_commits_nothing()
    {
        var plan = await PlanAsync(Options with { Parallelism = 4 });
        _source.Seed("in/sub/weights.bin", RandomBytes(_weights.Length, 2));

        var error = await Assert.ThrowsAsync<SourceChangedException>(() =>
            new ModelImporter(_destination, TestModel.Layout).ImportAsync(plan, null, CancellationToken.None).WaitAsync(Bounded));

        Assert.Contains("s3://bucket/in/sub/weights.bin changed", error.Message, StringComparison.Ordinal);
        Assert.Null(await _destination.HeadAsync(TestModel.Layout.ManifestKey("acme", "m", plan.Commit), CancellationToken.None));
        Assert.Empty(await ListAsync(TestModel.Layout.ModelPrefix("acme", "m") + StoreLayout.MetaFolder + "/refs/"));
        await foreach (var upload in _destination.ListMultipartUploadsAsync("", CancellationToken.None))
        {
            Assert.Fail($"upload left: {upload.Key}");
        }
    }

    [Fact]
    public async Task The_include_filter_selects_files_and_a_name_the_layout_cannot_hold_is_refused()
    {
        var plan = await PlanAsync(Options with { Include = p => p.EndsWith(".json", StringComparison.Ordinal) });
        Assert.Equal("config.json", Assert.Single(plan.Files).Path);

        _source.Seed("in/.hcpmodelfs/manifest.json", [1]);
        await Assert.ThrowsAsync<ArgumentException>(() => PlanAsync(Options));
        await Assert.ThrowsAsync<ImportFailedException>(() => ModelImporter.PlanAsync(
            new ImportSource(_source, "bucket", "nothing/"), "acme", "m", Options, CancellationToken.None));
    }

    private Task<ImportPlan> PlanAsync(ImportOptions options) =>
        ModelImporter.PlanAsync(new ImportSource(_source, "bucket", "in/"), "acme", "m", options, CancellationToken.None).WaitAsync(Bounded);

    private async Task<Manifest> ReadManifestAsync(string commit)
    {
        var key = TestModel.Layout.ManifestKey("acme", "m", commit);
        var head = await _destination.HeadAsync(key, CancellationToken.None);
        return System.Text.Json.JsonSerializer.Deserialize(await ReadAsync(key, head!.Size), ManifestJsonContext.Default.Manifest)!;
    }

    private async Task<byte[]> ReadAsync(string key, long size)
    {
        var bytes = new byte[size];
        await _destination.ReadRangeAsync(key, 0, bytes, null, CancellationToken.None);
        return bytes;
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var entry in _destination.ListAsync(prefix, null, CancellationToken.None))
        {
            keys.Add(entry.Key);
        }

        return keys;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
