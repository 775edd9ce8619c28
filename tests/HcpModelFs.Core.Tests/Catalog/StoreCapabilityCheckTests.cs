using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using HcpModelFs.Testing.Fakes;
using HcpModelFs.Testing.Hub;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Catalog;

/// <summary>The store's capability probe: once per store however many writers ask, retried after a failure, and started early.</summary>
public sealed class StoreCapabilityCheckTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static readonly StoreLayout Layout = new("models/");

    [Fact]
    public async Task Concurrent_writers_share_one_probe()
    {
        var store = new ProbeGatedStore();
        var waiting = Enumerable.Range(0, 3).Select(_ => StoreCapabilityCheck.EnsureDetectedAsync(store, Layout, CancellationToken.None)).ToArray();
        Assert.All(waiting, t => Assert.False(t.IsCompleted));

        store.OpenGate();
        await Task.WhenAll(waiting).WaitAsync(Bounded);

        Assert.Equal(1, store.Probes);
        await StoreCapabilityCheck.EnsureDetectedAsync(store, Layout, CancellationToken.None);
        Assert.Equal(1, store.Probes);
    }

    [Fact]
    public async Task A_failed_probe_is_run_again_by_the_next_writer()
    {
        var store = new ProbeGatedStore { FailFirst = true };
        store.OpenGate();

        var failure = await Assert.ThrowsAsync<StoreException>(() => StoreCapabilityCheck.EnsureDetectedAsync(store, Layout, CancellationToken.None).WaitAsync(Bounded));
        Assert.Equal(StoreErrorKind.Unavailable, failure.Kind);
        await StoreCapabilityCheck.EnsureDetectedAsync(store, Layout, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal(2, store.Probes);
        Assert.Equal(ExclusiveCreateMode.IfNoneMatch, store.Capabilities.ExclusiveCreate);
    }

    [Fact]
    public async Task A_writer_that_gives_up_does_not_cancel_the_probe_for_the_others()
    {
        var store = new ProbeGatedStore();
        using var impatient = new CancellationTokenSource();
        var first = StoreCapabilityCheck.EnsureDetectedAsync(store, Layout, impatient.Token);
        var second = StoreCapabilityCheck.EnsureDetectedAsync(store, Layout, CancellationToken.None);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Bounded));

        store.OpenGate();
        await second.WaitAsync(Bounded);
        Assert.Equal(1, store.Probes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_model_missing_from_the_store_starts_the_probe_before_the_Hub_answers(bool withWriteTarget)
    {
        var hubCatalog = new FakeHubCatalog();
        hubCatalog.AddRepo("acme/m1", [FakeHubFile.Regular("config.json", "{}")]);
        var store = new ProbeGatedStore();
        using var storeCatalog = new ModelCatalog(store, Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance);
        var hub = new GatedHub(new FakeModelHub(hubCatalog));
        using var catalog = new HubFallbackCatalog(storeCatalog, hub, new HubPolicy(), Layout, new CatalogOptions(),
            NullLogger<HubFallbackCatalog>.Instance, writeTarget: withWriteTarget ? store : null);

        var resolving = catalog.ResolveAsync("acme", "m1", null, CancellationToken.None);
        await hub.Asked.WaitAsync(Bounded);
        Assert.Equal(withWriteTarget ? 1 : 0, store.Probes);

        store.OpenGate();
        hub.Answer();
        Assert.NotNull((await resolving.WaitAsync(Bounded))?.Hub);
        Assert.Equal(withWriteTarget ? 1 : 0, store.Probes);
    }

    /// <summary>An in-memory store whose capabilities are unknown until its probe, which waits for the test's gate.</summary>
    private sealed class ProbeGatedStore : IObjectStore
    {
        private readonly InMemoryObjectStore _inner = new();
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _probes;

        public bool FailFirst { get; init; }

        public int Probes => Volatile.Read(ref _probes);

        public StoreCapabilities Capabilities { get; private set; } = StoreCapabilities.Undetected;

        public string Name => "gated";

        public void OpenGate() => _gate.TrySetResult();

        public async Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _probes);
            await _gate.Task.WaitAsync(cancellationToken);
            if (FailFirst && n == 1)
            {
                throw new StoreException(StoreErrorKind.Unavailable, "PUT probe: connection refused");
            }

            Capabilities = _inner.Capabilities;
            return Capabilities;
        }

        public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) => _inner.HeadAsync(key, cancellationToken);

        public ValueTask ReadRangeAsync(string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken) =>
            _inner.ReadRangeAsync(key, offset, destination, expectedETag, cancellationToken);

        public IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
            _inner.ListAsync(prefix, delimiter, cancellationToken);

        public Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            _inner.PutAsync(key, content, cancellationToken);

        public Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            _inner.CreateExclusiveAsync(key, content, cancellationToken);

        public Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken) => _inner.CreateMultipartAsync(key, cancellationToken);

        public Task<PartETag> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            _inner.UploadPartAsync(key, uploadId, partNumber, content, cancellationToken);

        public Task<ObjectInfo> CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken) =>
            _inner.CompleteMultipartAsync(key, uploadId, parts, cancellationToken);

        public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken) =>
            _inner.AbortMultipartAsync(key, uploadId, cancellationToken);

        public IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(string prefix, CancellationToken cancellationToken) =>
            _inner.ListMultipartUploadsAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => _inner.DeleteAsync(key, cancellationToken);
    }

    /// <summary>A Hub whose revision lookup says it was asked, then waits for the test to let it answer.</summary>
    private sealed class GatedHub(IModelHub inner) : IModelHub
    {
        private readonly TaskCompletionSource _asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Asked => _asked.Task;

        public void Answer() => _answer.TrySetResult();

        public async Task<HubRevision> ResolveRevisionAsync(HubRepoId repo, string revision, CancellationToken cancellationToken)
        {
            _asked.TrySetResult();
            await _answer.Task.WaitAsync(cancellationToken);
            return await inner.ResolveRevisionAsync(repo, revision, cancellationToken);
        }

        public IAsyncEnumerable<HubFile> ListFilesAsync(HubRepoId repo, string commitSha, CancellationToken cancellationToken) =>
            inner.ListFilesAsync(repo, commitSha, cancellationToken);

        public Task<HubFileLocation> ResolveFileAsync(HubRepoId repo, string commitSha, string path, CancellationToken cancellationToken) =>
            inner.ResolveFileAsync(repo, commitSha, path, cancellationToken);

        public ValueTask ReadRangeAsync(HubRepoId repo, string commitSha, string path, long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
            inner.ReadRangeAsync(repo, commitSha, path, offset, destination, cancellationToken);
    }
}
