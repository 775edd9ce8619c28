using System.Text.Json;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Testing.Fakes;
using HcpModelFs.Testing.Hub;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Ingest;

/// <summary>The ingest pipeline against in-memory neighbours: what lands in the store, in which order, and when not.</summary>
public sealed class IngestJobTests
{
    private const int BlockSize = 1 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static readonly StoreLayout Layout = new("models/");
    private readonly FakeHubCatalog _hubCatalog = new();
    private readonly IReadOnlyList<FakeHubFile> _files;
    private readonly string _commit;

    public IngestJobTests()
    {
        _files =
        [
            FakeHubFile.Lfs("model.safetensors", FakeContent.Generated((12L << 20) + 123, 5)),
            FakeHubFile.Regular("config.json", "{\"a\": 1}\n"),
            FakeHubFile.Regular("nested/notes.txt", "hello\n"),
        ];
        _commit = _hubCatalog.AddRepo("acme/m1", _files).Head.Sha;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_file_lands_verified_then_the_manifest_then_the_ref(bool hcp)
    {
        var store = new InMemoryObjectStore(hcpPersonality: hcp);
        var hub = new FakeModelHub(_hubCatalog);
        using var coordinator = NewCoordinator(store, hub, "node-a");
        var revision = await ResolveAsync(store, hub);

        var job = coordinator.Start(revision);
        await job.Completion.WaitAsync(Bounded);

        Assert.True(job.IsCommitted);
        foreach (var file in _files)
        {
            var key = Layout.FileKey("acme", "m1", _commit, file.Path);
            var bytes = await ReadAllAsync(store, key);
            Assert.Equal(file.Content.ToArray(), bytes);
        }

        var manifest = JsonSerializer.Deserialize(await ReadAllAsync(store, Layout.ManifestKey("acme", "m1", _commit)), ManifestJsonContext.Default.Manifest)!;
        Assert.Equal("hub", manifest.Source);
        Assert.Equal(_files.Select(f => (f.Path, f.Size, f.Sha256)).Order(), manifest.Files.Select(f => (f.Path, f.Size, f.Sha256)).Order());
        // The in-order hash pass also recorded per-block CRCs of the big file, which the next reader checks against.
        var big = manifest.Files.Single(f => f.Size == manifest.Files.Max(m => m.Size));
        var content = _files.Single(f => f.Path == big.Path).Content.ToArray();
        var crcs = big.Blocks!.Decode(big.Size, big.Blocks.BlockSize)!;
        Assert.Equal(Crc32C.Compute(content.AsSpan(0, big.Blocks.BlockSize)), crcs[0]);
        Assert.NotNull(await store.HeadAsync(Layout.RefKey("acme", "m1", StoreLayout.DefaultRef, 1, _commit), CancellationToken.None));
        // Only the big file needed multipart (12 MiB > one 5 MiB part); the others were single PUTs.
        Assert.Equal(1, store.Count("complete_multipart"));
        await foreach (var _ in store.ListAsync(Layout.LeasePrefix("acme", "m1", _commit), null, CancellationToken.None))
        {
            Assert.Fail("lease keys are left behind after the commit");
        }
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_Hubs_sha256_commit_nothing_and_fail_the_file()
    {
        var lying = new FakeHubCatalog();
        var bad = FakeHubFile.Lfs("model.safetensors", FakeContent.Generated(7L << 20, 5), knownSha256: new string('0', 64));
        var commit = lying.AddRepo("acme/m1", [bad, FakeHubFile.Regular("config.json", "{}")]).Head.Sha;
        var store = new InMemoryObjectStore();
        var hub = new FakeModelHub(lying);
        using var coordinator = NewCoordinator(store, hub, "node-a");
        var revision = (await new HubFallbackCatalog(new ModelCatalog(store, Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance), hub, new HubPolicy(), Layout, new CatalogOptions(), NullLogger<HubFallbackCatalog>.Instance)
            .ResolveAsync("acme", "m1", null, CancellationToken.None))!;

        var job = coordinator.Start(revision);
        await Assert.ThrowsAsync<IngestFailedException>(() => job.Completion.WaitAsync(Bounded));

        var id = revision.Root.Files["model.safetensors"].CacheId;
        Assert.IsType<IngestFailedException>(job.FailureOf(id));
        Assert.Null(await store.HeadAsync(Layout.ManifestKey("acme", "m1", commit), CancellationToken.None));
        Assert.Null(await store.HeadAsync(id.Key, CancellationToken.None));
        Assert.Equal(store.Count("create_multipart"), store.Count("abort_multipart"));
    }

    [Fact]
    public async Task A_resumed_ingest_keeps_objects_already_complete_in_the_store()
    {
        var store = new InMemoryObjectStore();
        var big = _files[0];
        store.Seed(Layout.FileKey("acme", "m1", _commit, big.Path), big.Content.ToArray());
        // The lease its previous run (this same node, killed) left behind: taken back at once, not waited out.
        store.Seed(Layout.LeasePrefix("acme", "m1", _commit) + "0000000001", "{\"node\":\"node-a\"}"u8.ToArray());
        var hub = new FakeModelHub(_hubCatalog);
        using var coordinator = NewCoordinator(store, hub, "node-a");

        var job = coordinator.Start(await ResolveAsync(store, hub));
        await job.Completion.WaitAsync(Bounded);

        Assert.True(job.IsCommitted);
        Assert.Equal(0, store.Count("create_multipart"));
        Assert.True(hub.BytesRead < big.Size, $"read {hub.BytesRead} bytes from the Hub; the big file was already stored");
    }

    [Fact]
    public async Task A_store_that_refuses_multipart_gets_each_file_as_one_put()
    {
        var store = new InMemoryObjectStore(multipart: false);
        var hub = new FakeModelHub(_hubCatalog);
        using var coordinator = NewCoordinator(store, hub, "node-a");
        var job = coordinator.Start(await ResolveAsync(store, hub));

        await job.Completion.WaitAsync(Bounded);

        Assert.Equal(0, store.Count("create_multipart"));
        Assert.Equal(_files.Count, store.Count("put"));
        foreach (var file in _files)
        {
            Assert.Equal(file.Content.ToArray(), await ReadAllAsync(store, Layout.FileKey("acme", "m1", _commit, file.Path)));
        }
    }

    [Fact]
    public async Task A_file_too_big_for_one_put_on_a_store_without_multipart_fails_the_ingest_with_the_reason()
    {
        var big = new FakeHubCatalog();
        big.AddRepo("acme/m1", [FakeHubFile.Lfs("model.safetensors", FakeContent.Generated((256L << 20) + 1, 3)), FakeHubFile.Regular("config.json", "{}")]);
        var store = new InMemoryObjectStore(multipart: false);
        var hub = new FakeModelHub(big);
        using var coordinator = NewCoordinator(store, hub, "node-a");
        var job = coordinator.Start(await ResolveAsync(store, hub));

        var failure = await Assert.ThrowsAsync<IngestFailedException>(() => job.Completion.WaitAsync(Bounded));

        Assert.Contains("refuses multipart uploads", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Count("create_multipart"));
        Assert.Null(await store.HeadAsync(Layout.ManifestKey("acme", "m1", job.Commit), CancellationToken.None));
    }

    [Fact]
    public async Task Two_nodes_ingesting_one_model_upload_each_file_once()
    {
        var store = new InMemoryObjectStore();
        var hub = new FakeModelHub(_hubCatalog);
        using var a = NewCoordinator(store, hub, "node-a");
        using var b = NewCoordinator(store, hub, "node-b");
        var revision = await ResolveAsync(store, hub);

        var first = a.Start(revision);
        var second = b.Start(revision);
        await Task.WhenAll(first.Completion, second.Completion).WaitAsync(Bounded);

        Assert.Equal(1, store.Count("complete_multipart"));
        Assert.Equal(2, store.Count("put"));
    }

    [Fact]
    public async Task Readers_wait_at_the_end_of_a_file_until_it_is_verified_and_then_read_exact_bytes()
    {
        var store = new InMemoryObjectStore();
        var hub = new FakeModelHub(_hubCatalog);
        var cache = new InMemoryBlockCache(BlockSize);
        using var coordinator = new IngestCoordinator(store, hub, cache, Layout, Options("node-a"), NullLoggerFactory.Instance);
        var revision = await ResolveAsync(store, hub);
        var job = coordinator.GetJob(revision); // not started: the reader's own verification pass must suffice
        var file = revision.Root.Files["model.safetensors"];

        await job.WhenVerifiedAsync(file.CacheId, CancellationToken.None).WaitAsync(Bounded);
        var buffer = new byte[file.Size];
        Assert.Equal(buffer.Length, await cache.ReadAsync(file.CacheId, 0, buffer, job, CancellationToken.None));
        Assert.Equal(_files[0].Content.ToArray(), buffer);
        Assert.Null(job.FailureOf(file.CacheId));
    }

    private static IngestOptions Options(string node) => new()
    {
        NodeId = node,
        LeaseTtl = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(50),
        FirstRetryDelay = TimeSpan.FromMilliseconds(50),
    };

    private static IngestCoordinator NewCoordinator(InMemoryObjectStore store, FakeModelHub hub, string node) =>
        new(store, hub, new InMemoryBlockCache(BlockSize), Layout, Options(node), NullLoggerFactory.Instance);

    private static async Task<ModelRevision> ResolveAsync(InMemoryObjectStore store, FakeModelHub hub)
    {
        using var storeCatalog = new ModelCatalog(store, Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance);
        using var catalog = new HubFallbackCatalog(storeCatalog, hub, new HubPolicy(), Layout, new CatalogOptions(), NullLogger<HubFallbackCatalog>.Instance);
        var revision = await catalog.ResolveAsync("acme", "m1", null, CancellationToken.None);
        Assert.NotNull(revision?.Hub);
        return revision;
    }

    private static async Task<byte[]> ReadAllAsync(InMemoryObjectStore store, string key)
    {
        var info = await store.HeadAsync(key, CancellationToken.None);
        Assert.NotNull(info);
        var bytes = new byte[info.Size];
        await store.ReadRangeAsync(key, 0, bytes, null, CancellationToken.None);
        return bytes;
    }
}
