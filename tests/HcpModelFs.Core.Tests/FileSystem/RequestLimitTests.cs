using System.Diagnostics;
using System.Text;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.FileSystem;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Fuse;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.FileSystem;

/// <summary>ModelFileSystemOptions.RequestLimit over a block source that never answers: EIO in time, interrupts stay EINTR.</summary>
public sealed class RequestLimitTests : IDisposable
{
    private static readonly FuseRequestContext Context = new(2, 0, 0, 1);
    private static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(300);
    private readonly InMemoryObjectStore _memory = new();
    private readonly InMemoryBlockCache _cache = new(blockSize: 4096);
    private readonly ModelCatalog _catalog;
    private readonly Prefetcher _prefetcher;
    private readonly NeverAnsweringSource _source = new();
    private TestModel? _model;

    public RequestLimitTests()
    {
        _catalog = new ModelCatalog(_memory, TestModel.Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance);
        _prefetcher = new Prefetcher(_cache, new PrefetchOptions(), NullLogger<Prefetcher>.Instance);
    }

    public void Dispose()
    {
        _model?.Dispose();
        _prefetcher.Dispose();
        _catalog.Dispose();
    }

    [Fact]
    public async Task A_read_waiting_for_a_fetch_that_never_comes_is_eio_after_the_limit_and_the_kernels_retry_at_once()
    {
        var (fs, node, handle) = await OpenAsync(RequestLimit.Of(Limit));
        var clock = Stopwatch.StartNew();
        var first = await fs.ReadAsync(node, handle, 0, new byte[4096], Context, CancellationToken.None);
        var waited = clock.Elapsed;
        Assert.Equal(Errno.EIO, first.Error);
        Assert.InRange(waited, Limit - TimeSpan.FromMilliseconds(20), Limit + TimeSpan.FromSeconds(2));

        clock.Restart();
        var retry = await fs.ReadAsync(node, handle, 0, new byte[4096], Context, CancellationToken.None);
        Assert.Equal(Errno.EIO, retry.Error);
        Assert.True(clock.Elapsed < Limit / 2, $"the re-read waited {clock.Elapsed}");
        Assert.True(_source.Started >= 1);
    }

    [Fact]
    public async Task An_interrupt_before_the_limit_stays_a_cancellation_answered_EINTR_by_the_session()
    {
        var (fs, node, handle) = await OpenAsync(RequestLimit.Of(TimeSpan.FromSeconds(30)));
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await fs.ReadAsync(node, handle, 0, new byte[4096], Context, interrupt.Token));
    }

    [Fact]
    public async Task Without_a_limit_the_read_is_still_waiting_well_past_it()
    {
        var (fs, node, handle) = await OpenAsync(RequestLimit.None);
        using var interrupt = new CancellationTokenSource();
        var read = fs.ReadAsync(node, handle, 0, new byte[4096], Context, interrupt.Token).AsTask();
        await Task.WhenAny(read, Task.Delay(Limit * 4));
        Assert.False(read.IsCompleted, "the read ended without a limit");
        await interrupt.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    private async Task<(ModelFileSystem Fs, NodeId Node, FileHandle Handle)> OpenAsync(RequestLimit limit)
    {
        _model = await TestModel.PublishAsync(_memory, "acme", "m1", new Dictionary<string, byte[]> { ["w.bin"] = TestModel.Bytes(10_000, 3) });
        var fs = new ModelFileSystem(_catalog, _cache, _source, _prefetcher, new ModelFileSystemOptions { RequestLimit = limit },
            NullLogger<ModelFileSystem>.Instance);
        var node = NodeId.Root;
        foreach (var name in new[] { "acme", "m1", "w.bin" })
        {
            var entry = await fs.LookupAsync(node, Encoding.UTF8.GetBytes(name), Context, CancellationToken.None);
            Assert.True(entry.IsSuccess, $"lookup {name}: {entry.Error}");
            node = entry.Value.Node;
        }

        var open = await fs.OpenAsync(node, 0, Context, CancellationToken.None);
        return (fs, node, open.Value.Handle);
    }

    /// <summary>A store that accepted the request and never answers; counts fetches started.</summary>
    private sealed class NeverAnsweringSource : IBlockSource
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public async ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
