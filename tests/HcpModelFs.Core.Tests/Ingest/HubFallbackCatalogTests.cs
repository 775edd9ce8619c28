using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Testing.Fakes;
using HcpModelFs.Testing.Hub;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Ingest;

public sealed class HubFallbackCatalogTests
{
    private static readonly StoreLayout Layout = new("models/");
    private readonly InMemoryObjectStore _store = new();
    private readonly FakeHubCatalog _hubCatalog = new();
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public async Task A_model_only_on_the_Hub_lists_its_files_with_exact_sizes_and_future_store_keys()
    {
        var files = SyntheticModel.Create(shardCount: 2, includeOddNames: false);
        var commit = _hubCatalog.AddRepo("acme/m1", files).Head.Sha;
        var hub = new FakeModelHub(_hubCatalog);
        using var catalog = NewCatalog(hub, new HubPolicy());

        var revision = await catalog.ResolveAsync("acme", "m1", null, CancellationToken.None);

        Assert.NotNull(revision?.Hub);
        Assert.Equal(commit, revision.Commit);
        Assert.Equal(StoreLayout.DefaultRef, revision.Hub.RefName);
        Assert.Equal(files.Sum(f => f.Size), revision.TotalSize);
        var shard = revision.Root.Files["model-00001-of-00002.safetensors"];
        Assert.Equal(Layout.FileKey("acme", "m1", commit, shard.Path), shard.CacheId.Key);
        Assert.Equal(0, hub.ReadCalls);
    }

    [Fact]
    public async Task A_Hub_404_is_cached_as_a_negative_entry()
    {
        var hub = new FakeModelHub(_hubCatalog);
        using var catalog = NewCatalog(hub, new HubPolicy());

        Assert.Null(await catalog.ResolveAsync("acme", "missing", null, CancellationToken.None));
        Assert.Null(await catalog.ResolveAsync("acme", "missing", null, CancellationToken.None));
        Assert.Equal(1, hub.ResolveCalls);

        _time.Advance(new CatalogOptions().NegativeTtl + TimeSpan.FromSeconds(1));
        Assert.Null(await catalog.ResolveAsync("acme", "missing", null, CancellationToken.None));
        Assert.Equal(2, hub.ResolveCalls);
    }

    [Fact]
    public async Task Policy_decides_before_the_Hub_is_asked()
    {
        _hubCatalog.AddRepo("acme/secret", SyntheticModel.Create(shardCount: 1, includeOddNames: false));
        var hub = new FakeModelHub(_hubCatalog);
        using var denied = NewCatalog(hub, new HubPolicy { Deny = ["acme/secret"] });
        using var tooBig = NewCatalog(hub, new HubPolicy { MaxModelBytes = 10 });

        Assert.Null(await denied.ResolveAsync("acme", "secret", null, CancellationToken.None));
        Assert.Equal(0, hub.ResolveCalls);
        Assert.Null(await tooBig.ResolveAsync("acme", "secret", null, CancellationToken.None));
    }

    [Fact]
    public async Task A_gated_repo_without_access_is_denied_once_and_remembered()
    {
        _hubCatalog.AddRepo("acme/gated", SyntheticModel.Create(shardCount: 1, includeOddNames: false), FakeRepoVisibility.Gated);
        var hub = new FakeModelHub(_hubCatalog);
        using var catalog = NewCatalog(hub, new HubPolicy());

        await Assert.ThrowsAsync<ModelAccessDeniedException>(() => catalog.ResolveAsync("acme", "gated", null, CancellationToken.None));
        await Assert.ThrowsAsync<ModelAccessDeniedException>(() => catalog.ResolveAsync("acme", "gated", null, CancellationToken.None));
        Assert.Equal(1, hub.ResolveCalls);
    }

    [Fact]
    public async Task A_model_in_the_store_never_reaches_the_Hub()
    {
        using var model = await TestModel.PublishAsync(_store, "acme", "m1", new Dictionary<string, byte[]> { ["a.bin"] = TestModel.Bytes(10, 1) });
        var hub = new FakeModelHub(_hubCatalog);
        using var catalog = NewCatalog(hub, new HubPolicy());

        var revision = await catalog.ResolveAsync("acme", "m1", null, CancellationToken.None);

        Assert.NotNull(revision);
        Assert.Null(revision.Hub);
        Assert.Equal(0, hub.ResolveCalls);
    }

    private HubFallbackCatalog NewCatalog(FakeModelHub hub, HubPolicy policy) =>
        new(new ModelCatalog(_store, Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance, _time), hub, policy, Layout, new CatalogOptions(), NullLogger<HubFallbackCatalog>.Instance, _time);
}
