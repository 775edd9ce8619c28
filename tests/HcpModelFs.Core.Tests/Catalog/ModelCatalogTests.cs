using HcpModelFs.Core.Catalog;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Catalog;

public sealed class ModelCatalogTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryObjectStore _store = new();

    private ModelCatalog NewCatalog() =>
        new(_store, TestModel.Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance, _time);

    [Fact]
    public async Task Resolve_of_a_published_model_lists_its_files_with_sizes_and_sha256()
    {
        using var model = await TestModel.PublishAsync(_store, "acme", "m1", new Dictionary<string, byte[]>
        {
            ["config.json"] = "{}"u8.ToArray(),
            ["sub/w.bin"] = TestModel.Bytes(5000, 1),
        });
        using var catalog = NewCatalog();

        var revision = await catalog.ResolveAsync("acme", "m1", null, CancellationToken.None).WaitAsync(Bounded);

        Assert.NotNull(revision);
        Assert.True(revision.Immutable);
        Assert.Equal(model.Manifest.Commit, revision.Commit);
        Assert.Equal(["config.json", "sub"], revision.Root.Names);
        var file = revision.FindDirectory("sub")!.Files["w.bin"];
        Assert.Equal(5000, file.Size);
        Assert.Equal($"models/acme/m1/{model.Manifest.Commit}/sub/w.bin", file.CacheId.Key);
        Assert.Equal(model.Manifest.Files.Single(f => f.Path == "sub/w.bin").Sha256, file.CacheId.Sha256);

        // Upload records one CRC32C per cache block, so readers check each fetched block end to end.
        var crcs = file.CacheId.Blocks!.Decode(5000, HcpModelFs.Core.Cache.DiskBlockCacheOptions.DefaultBlockSize)!;
        Assert.Equal([HcpModelFs.Core.Cache.Crc32C.Compute(TestModel.Bytes(5000, 1))], crcs);
    }

    [Fact]
    public async Task Resolve_by_revision_name_and_by_commit_finds_the_same_files()
    {
        using var model = await TestModel.PublishAsync(_store, "acme", "m1", new Dictionary<string, byte[]> { ["a"] = [1] }, revision: "v1.0");
        using var catalog = NewCatalog();

        var byName = await catalog.ResolveAsync("acme", "m1", "v1.0", CancellationToken.None);
        var byCommit = await catalog.ResolveAsync("acme", "m1", model.Manifest.Commit, CancellationToken.None);
        var missing = await catalog.ResolveAsync("acme", "m1", "nope", CancellationToken.None);

        Assert.Equal(model.Manifest.Commit, byName!.Commit);
        Assert.Equal(model.Manifest.Commit, byCommit!.Commit);
        Assert.Null(missing);
    }

    [Fact]
    public async Task The_newest_ref_entry_wins()
    {
        using var first = await TestModel.PublishAsync(_store, "acme", "m1", new Dictionary<string, byte[]> { ["a"] = [1] });
        using var second = await TestModel.PublishAsync(_store, "acme", "m1", new Dictionary<string, byte[]> { ["a"] = [2], ["b"] = [3] });
        using var catalog = NewCatalog();

        var revision = await catalog.ResolveAsync("acme", "m1", null, CancellationToken.None);

        Assert.NotEqual(first.Manifest.Commit, second.Manifest.Commit);
        Assert.Equal(second.Manifest.Commit, revision!.Commit);
        Assert.Equal(2, revision.FileCount);
    }

    [Fact]
    public async Task A_missing_model_is_remembered_until_the_negative_ttl_passes()
    {
        using var catalog = NewCatalog();
        Assert.Null(await catalog.ResolveAsync("acme", "ghost", null, CancellationToken.None));
        var lists = _store.Count("list");

        Assert.Null(await catalog.ResolveAsync("acme", "ghost", null, CancellationToken.None));
        Assert.Equal(lists, _store.Count("list"));

        _time.Advance(new CatalogOptions().NegativeTtl + TimeSpan.FromSeconds(1));
        Assert.Null(await catalog.ResolveAsync("acme", "ghost", null, CancellationToken.None));
        Assert.True(_store.Count("list") > lists);
    }

    [Fact]
    public async Task Invalid_names_never_reach_the_store()
    {
        using var catalog = NewCatalog();
        Assert.Null(await catalog.ResolveAsync("acme", "bad--name", null, CancellationToken.None));
        Assert.Null(await catalog.ResolveAsync("-acme", "m", null, CancellationToken.None));
        Assert.Null(await catalog.ResolveAsync("acme", "m", "../etc", CancellationToken.None));
        Assert.Equal(0, _store.Count("list") + _store.Count("head") + _store.Count("read"));
    }

    [Fact]
    public async Task A_plain_folder_is_served_from_a_listing_without_folder_markers()
    {
        _store.Seed("models/org/plain/a.bin", [1, 2, 3]);
        _store.Seed("models/org/plain/dir/", []);
        _store.Seed("models/org/plain/dir/b.txt", [4]);
        using var catalog = NewCatalog();

        var revision = await catalog.ResolveAsync("org", "plain", null, CancellationToken.None);

        Assert.NotNull(revision);
        Assert.False(revision.Immutable);
        Assert.Equal(["a.bin", "dir"], revision.Root.Names);
        Assert.Equal("models/org/plain/dir/b.txt", revision.FindDirectory("dir")!.Files["b.txt"].CacheId.Key);
    }

    [Fact]
    public async Task A_managed_model_without_a_ref_is_not_served()
    {
        // An ingest that died before writing its ref: objects and even a manifest, but no ref entry.
        _store.Seed("models/org/half/0123456789abcdef0123456789abcdef01234567/a.bin", [1]);
        _store.Seed("models/org/half/.hcpmodelfs/leases/0123456789abcdef0123456789abcdef01234567/0000000001", []);
        using var catalog = NewCatalog();

        Assert.Null(await catalog.ResolveAsync("org", "half", null, CancellationToken.None));
    }

    [Fact]
    public async Task Organisations_and_models_are_listed_from_common_prefixes()
    {
        using var a = await TestModel.PublishAsync(_store, "acme", "m1", new Dictionary<string, byte[]> { ["a"] = [1] });
        using var b = await TestModel.PublishAsync(_store, "beta", "m2", new Dictionary<string, byte[]> { ["a"] = [1] });
        _store.Seed("models/not valid--org/x", [1]);
        using var catalog = NewCatalog();

        Assert.Equal(["acme", "beta"], await catalog.ListOrganizationsAsync(CancellationToken.None));
        Assert.Equal(["m1"], await catalog.ListModelsAsync("acme", CancellationToken.None));
    }

    [Fact]
    public async Task A_manifest_with_an_escaping_path_is_rejected()
    {
        const string Commit = "0123456789abcdef0123456789abcdef01234567";
        _store.Seed($"models/evil/m/{Commit}/.hcpmodelfs/manifest.json", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"org":"evil","model":"m","commit":"{{Commit}}","files":[{"path":"../../etc/passwd","size":1,"sha256":"x","eTag":"y"}]}"""));
        _store.Seed($"models/evil/m/.hcpmodelfs/refs/HEAD/0000000001-{Commit}", []);
        using var catalog = NewCatalog();

        Assert.Null(await catalog.ResolveAsync("evil", "m", null, CancellationToken.None));
    }
}
