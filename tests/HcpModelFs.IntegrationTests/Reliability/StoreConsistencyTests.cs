using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// The crash scenarios' checker must be able to fail: a half-written revision (a manifest naming an object that is
/// missing, one whose bytes differ, one of another size) and a ref naming a commit without a manifest are each reported,
/// and a complete revision beside them is not.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
public sealed class StoreConsistencyTests(RgwFixture rgw) : IAsyncLifetime
{
    private const string Good = "1111111111111111111111111111111111111111";
    private const string Half = "2222222222222222222222222222222222222222";
    private const string Orphan = "3333333333333333333333333333333333333333";
    private readonly MountTestScratch _scratch = new(rgw, $"consistency-{Guid.NewGuid():N}/");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _scratch.CleanUpAsync();

    [Fact]
    public async Task Checker_reports_a_manifest_whose_objects_are_missing_or_differ_and_a_ref_without_a_manifest()
    {
        using var store = rgw.CreateStore();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var model = $"{_scratch.Prefix}acme/half/";
        var content = Encoding.UTF8.GetBytes("the bytes the manifest promises\n");
        var other = Encoding.UTF8.GetBytes("the bytes a crash left instead \n");
        Assert.Equal(content.Length, other.Length);

        var good = await store.PutAsync($"{model}{Good}/a.bin", content, cts.Token);
        await PutManifestAsync(store, model, Good, [("a.bin", content, good.ETag)], cts.Token);
        await store.PutAsync($"{model}.hcpmodelfs/refs/HEAD/0000000001-{Good}", ReadOnlyMemory<byte>.Empty, cts.Token);
        Assert.True((await StoreConsistency.CheckAsync(store, _scratch.Prefix, cts.Token)).IsConsistent);

        var present = await store.PutAsync($"{model}{Half}/present.bin", content, cts.Token);
        var differs = await store.PutAsync($"{model}{Half}/differs.bin", other, cts.Token);
        var shorter = await store.PutAsync($"{model}{Half}/shorter.bin", content.AsMemory(1), cts.Token);
        await PutManifestAsync(store, model, Half,
            [("present.bin", content, present.ETag), ("differs.bin", content, differs.ETag), ("shorter.bin", content, shorter.ETag), ("missing.bin", content, "\"0\"")],
            cts.Token);
        await store.PutAsync($"{model}.hcpmodelfs/refs/HEAD/0000000002-{Orphan}", ReadOnlyMemory<byte>.Empty, cts.Token);

        var report = await StoreConsistency.CheckAsync(store, _scratch.Prefix, cts.Token);
        Assert.False(report.IsConsistent);
        Assert.Equal(4, report.Problems.Count);
        Assert.Contains(report.Problems, p => p.StartsWith($"{model}{Half}/missing.bin: named by the manifest, missing", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith($"{model}{Half}/differs.bin: sha256", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith($"{model}{Half}/shorter.bin: {content.Length - 1} bytes", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.Contains(Orphan + ", which has no manifest", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Problems, p => p.Contains(Good, StringComparison.Ordinal) || p.Contains("present.bin", StringComparison.Ordinal));
        Assert.Equal(2, report.Revisions.Count);
    }

    private static Task<HcpModelFs.Store.ObjectInfo> PutManifestAsync(
        HcpModelFs.Store.S3.S3ObjectStore store, string model, string commit, (string Path, byte[] Content, string ETag)[] files, CancellationToken ct)
    {
        // Written by hand, as a crashed or buggy writer might: the checker must not trust the code that writes manifests.
        var manifest = new
        {
            format = 1,
            org = "acme",
            model = "half",
            commit,
            source = "upload",
            files = files.Select(f => new { path = f.Path, size = f.Content.LongLength, sha256 = Convert.ToHexStringLower(SHA256.HashData(f.Content)), eTag = f.ETag }),
        };
        return store.PutAsync($"{model}{commit}/.hcpmodelfs/manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest), ct);
    }
}
