using HcpModelFs.Core.Catalog;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Catalog;

/// <summary>The bulk index of an organisation: one recursive listing, turned into models, plain trees and refs.</summary>
public sealed class OrgIndexTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryObjectStore _store = new();

    [Fact]
    public async Task Every_plain_model_tree_comes_from_one_listing_with_sizes_and_etags()
    {
        _store.Seed("models/org/m1/config.json", [1, 2]);
        _store.Seed("models/org/m1/a/b/deep.bin", [1, 2, 3, 4, 5]);
        _store.Seed("models/org/m1/a/top.txt", [1]);
        _store.Seed("models/org/m1/a/", []);
        _store.Seed("models/org/m2/x", [9, 9, 9]);
        _store.Seed("models/other/m9/y", [1]);

        var index = await LoadAsync("org");

        Assert.Equal(1, _store.Count("list"));
        Assert.Equal(["m1", "m2"], index.Models);
        Assert.Equal(5, index.KeyCount);
        var m1 = index.Plain("m1")!;
        Assert.False(m1.Immutable);
        Assert.Equal(["a", "config.json"], m1.Root.Names);
        Assert.Equal(["b", "top.txt"], m1.FindDirectory("a")!.Names);
        var deep = m1.FindDirectory("a/b")!.Files["deep.bin"];
        Assert.Equal(5, deep.Size);
        Assert.Equal("models/org/m1/a/b/deep.bin", deep.CacheId.Key);
        Assert.Equal((await _store.HeadAsync("models/org/m1/a/b/deep.bin", CancellationToken.None))!.ETag, deep.CacheId.ETag);
        Assert.Equal(3, m1.FileCount);
        Assert.Equal(8, m1.TotalSize);
        Assert.Equal(["x"], index.Plain("m2")!.Root.Names);
        Assert.Null(index.Plain("m9"));
    }

    [Fact]
    public async Task A_key_that_is_both_an_object_and_a_prefix_shows_as_the_directory()
    {
        _store.Seed("models/org/m/weights", [1]);
        _store.Seed("models/org/m/weights/part1", [1, 2]);
        _store.Seed("models/org/m/readme", [3]);

        var plain = (await LoadAsync("org")).Plain("m")!;

        Assert.Equal(["readme", "weights"], plain.Root.Names);
        Assert.True(plain.Root.Directories.ContainsKey("weights"));
        Assert.False(plain.Root.Files.ContainsKey("weights"));
        Assert.Equal(2, plain.FileCount);
    }

    [Fact]
    public async Task Managed_models_are_known_by_their_newest_refs_and_never_served_as_plain()
    {
        using var first = await TestModel.PublishAsync(_store, "org", "managed", new Dictionary<string, byte[]> { ["a"] = [1] }, revision: "v1");
        using var second = await TestModel.PublishAsync(_store, "org", "managed", new Dictionary<string, byte[]> { ["a"] = [2] }, revision: "refs/pr/1");
        // An ingest that died before its ref: a lease and objects, no ref entry.
        _store.Seed("models/org/half/0123456789abcdef0123456789abcdef01234567/a.bin", [1]);
        _store.Seed("models/org/half/.hcpmodelfs/leases/0123456789abcdef0123456789abcdef01234567/0000000001", []);

        var index = await LoadAsync("org");

        Assert.Equal(["half", "managed"], index.Models);
        Assert.True(index.IsManaged("managed"));
        Assert.True(index.IsManaged("half"));
        Assert.Null(index.Plain("managed"));
        Assert.Null(index.Plain("half"));
        Assert.Equal(second.Manifest.Commit, index.Ref("managed", "HEAD"));
        Assert.Equal(first.Manifest.Commit, index.Ref("managed", "v1"));
        Assert.Equal(second.Manifest.Commit, index.Ref("managed", "refs/pr/1"));
        Assert.Null(index.Ref("managed", "main"));
        Assert.Null(index.Ref("half", "HEAD"));
    }

    [Fact]
    public async Task Objects_directly_below_the_organisation_and_invalid_model_names_are_no_models()
    {
        _store.Seed("models/org/README.md", [1]);
        _store.Seed("models/org/bad--name/a", [1]);
        _store.Seed("models/org/ok/a", [1]);

        Assert.Equal(["ok"], (await LoadAsync("org")).Models);
    }

    [Fact]
    public async Task An_organisation_of_2500_keys_takes_three_pages_of_one_listing()
    {
        for (var m = 0; m < 1250; m++)
        {
            _store.Seed($"models/big/model-{m:D4}/config.json", [1]);
            _store.Seed($"models/big/model-{m:D4}/weights.bin", [1, 2]);
        }

        var index = await LoadAsync("big");

        Assert.Equal(1, _store.Count("list"));
        Assert.Equal(3, _store.Count("list_page"));
        Assert.Equal(1250, index.Models.Count);
        Assert.All(index.Models, m => Assert.Equal(["config.json", "weights.bin"], index.Plain(m)!.Root.Names));
    }

    [Fact]
    public async Task More_keys_than_the_limit_give_no_index()
    {
        for (var i = 0; i < 11; i++)
        {
            _store.Seed($"models/org/m{i}/a", [1]);
        }

        Assert.Null(await OrgIndex.LoadAsync(_store, TestModel.Layout, "org", 10, null, CancellationToken.None).WaitAsync(Bounded));
        Assert.NotNull(await OrgIndex.LoadAsync(_store, TestModel.Layout, "org", 11, null, CancellationToken.None).WaitAsync(Bounded));
    }

    [Fact]
    public async Task A_find_over_an_organisation_costs_one_listing_and_a_second_pass_none()
    {
        for (var m = 0; m < 50; m++)
        {
            _store.Seed($"models/org/m{m}/config.json", [1]);
            _store.Seed($"models/org/m{m}/sub/w.bin", [1, 2]);
        }

        using var catalog = NewCatalog(new CatalogOptions());

        for (var pass = 0; pass < 2; pass++)
        {
            Assert.True(await catalog.OrganizationExistsAsync("org", CancellationToken.None));
            var models = await catalog.ListModelsAsync("org", CancellationToken.None);
            Assert.Equal(50, models.Count);
            foreach (var model in models)
            {
                var revision = await catalog.ResolveAsync("org", model, null, CancellationToken.None);
                Assert.Equal(2, revision!.FileCount);
            }

            Assert.Equal(1, _store.Count("list"));
            Assert.Equal(0, _store.Count("head") + _store.Count("read"));
        }

        // After the listing's lifetime the next access lists the organisation again, once.
        _time.Advance(new CatalogOptions().ListingTtl + TimeSpan.FromSeconds(1));
        Assert.Equal(50, (await catalog.ListModelsAsync("org", CancellationToken.None)).Count);
        Assert.Equal(2, _store.Count("list"));
    }

    [Fact]
    public async Task Concurrent_readers_of_one_organisation_share_one_listing()
    {
        for (var m = 0; m < 20; m++)
        {
            _store.Seed($"models/org/m{m}/a", [1]);
        }

        using var catalog = NewCatalog(new CatalogOptions());

        var readers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => catalog.ListModelsAsync("org", CancellationToken.None))).ToArray();
        foreach (var names in await Task.WhenAll(readers).WaitAsync(Bounded))
        {
            Assert.Equal(20, names.Count);
        }

        Assert.Equal(1, _store.Count("list"));
    }

    [Fact]
    public async Task Managed_models_resolve_from_the_index_refs_with_one_manifest_GET_each()
    {
        using var model = await TestModel.PublishAsync(_store, "org", "managed", new Dictionary<string, byte[]> { ["a"] = [1], ["b/c"] = [2] });
        _store.Seed("models/org/plain/x", [1]);
        using var catalog = NewCatalog(new CatalogOptions());
        var lists = _store.Count("list");
        var heads = _store.Count("head");

        Assert.Equal(["managed", "plain"], await catalog.ListModelsAsync("org", CancellationToken.None));
        var revision = await catalog.ResolveAsync("org", "managed", null, CancellationToken.None);
        var again = await catalog.ResolveAsync("org", "managed", null, CancellationToken.None);

        Assert.Equal(model.Manifest.Commit, revision!.Commit);
        Assert.Same(revision, again);
        Assert.Equal(lists + 1, _store.Count("list"));
        Assert.Equal(1, _store.Count("read"));
        // The listing showed the manifest's size: no HEAD before reading it.
        Assert.Equal(heads, _store.Count("head"));
    }

    [Fact]
    public async Task A_lookup_in_a_read_organisation_reads_every_managed_manifest_ahead_once()
    {
        var models = new List<TestModel>();
        for (var m = 0; m < 12; m++)
        {
            models.Add(await TestModel.PublishAsync(_store, "org", $"m{m:D2}", new Dictionary<string, byte[]> { ["a"] = [(byte)m] }));
        }

        using var catalog = NewCatalog(new CatalogOptions { ManifestReadsInFlight = 4 });
        var reads = _store.Count("read");

        Assert.Equal(12, (await catalog.ListModelsAsync("org", CancellationToken.None)).Count);
        Assert.Equal(models[0].Manifest.Commit, (await catalog.ResolveAsync("org", "m00", null, CancellationToken.None))!.Commit);

        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (_store.Count("read") < reads + 12)
        {
            Assert.True(deadline.Elapsed < Bounded, $"{_store.Count("read") - reads} of 12 manifests were read ahead");
            await Task.Yield();
        }

        for (var m = 0; m < 12; m++)
        {
            Assert.Equal(models[m].Manifest.Commit, (await catalog.ResolveAsync("org", $"m{m:D2}", null, CancellationToken.None))!.Commit);
        }

        Assert.Equal(reads + 12, _store.Count("read"));
        models.ForEach(m => m.Dispose());
    }

    [Fact]
    public async Task A_model_added_after_the_listing_is_found_by_a_direct_lookup()
    {
        _store.Seed("models/org/old/a", [1]);
        using var catalog = NewCatalog(new CatalogOptions());
        Assert.Equal(["old"], await catalog.ListModelsAsync("org", CancellationToken.None));

        _store.Seed("models/org/new/b", [1]);

        Assert.Equal(["b"], (await catalog.ResolveAsync("org", "new", null, CancellationToken.None))!.Root.Names);
        Assert.Equal(["old"], await catalog.ListModelsAsync("org", CancellationToken.None));
    }

    [Fact]
    public async Task An_organisation_over_the_key_limit_is_served_model_by_model()
    {
        for (var m = 0; m < 5; m++)
        {
            _store.Seed($"models/org/m{m}/a", [1]);
            _store.Seed($"models/org/m{m}/b", [1]);
        }

        using var catalog = NewCatalog(new CatalogOptions { MaxIndexKeys = 4 });

        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], await catalog.ListModelsAsync("org", CancellationToken.None));
        Assert.Equal(["a", "b"], (await catalog.ResolveAsync("org", "m3", null, CancellationToken.None))!.Root.Names);
        // The aborted bulk listing, the delimiter listing of models, then the model's own ref and plain listings.
        Assert.Equal(4, _store.Count("list"));
    }

    private ModelCatalog NewCatalog(CatalogOptions options) =>
        new(_store, TestModel.Layout, options, NullLogger<ModelCatalog>.Instance, _time);

    private async Task<OrgIndex> LoadAsync(string org) =>
        (await OrgIndex.LoadAsync(_store, TestModel.Layout, org, 100_000, null, CancellationToken.None).WaitAsync(Bounded))!;
}
