using System.Collections.Concurrent;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Prefetch;

public sealed class PrefetcherTests
{
    private const int Block = 4096;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Open_of_a_large_file_fetches_every_block_in_the_background()
    {
        var data = new byte[Block * 10 + 5];
        new Random(1).NextBytes(data);
        var cache = new InMemoryBlockCache(Block);
        var source = new RecordingSource(data, expectedBlocks: 11);
        using var prefetcher = new Prefetcher(cache, new PrefetchOptions { WholeFileThreshold = 0, MaxInFlight = 3 }, NullLogger<Prefetcher>.Instance);
        var id = new CacheObjectId("k/model.bin", "e", data.Length);

        using (prefetcher.Open(id, source))
        {
            await source.AllFetched.Task.WaitAsync(Bounded);
        }

        Assert.All(Enumerable.Range(0, 11), b => Assert.True(cache.IsBlockPresent(id, b)));
        Assert.Equal(11, source.Offsets.Count); // each block once
    }

    [Fact]
    public async Task A_read_inside_a_safetensors_tensor_fetches_to_the_end_of_that_tensor()
    {
        // Look-ahead of one block only: without the header, a read at the start of "big" would prefetch one block.
        var (bytes, dataStart) = SafetensorsFile.Build(("small", 100), ("big", Block * 6), ("tail", Block * 20));
        var cache = new InMemoryBlockCache(Block);
        var bigFirst = (dataStart + 100) / Block;
        var bigLast = (dataStart + 100 + (Block * 6) - 1) / Block;
        var source = new RecordingSource(bytes, waitFor: Enumerable.Range((int)bigFirst, (int)(bigLast - bigFirst + 1)).Select(b => (long)b).ToArray());
        using var prefetcher = new Prefetcher(cache, new PrefetchOptions { WholeFileThreshold = 0, MaxAheadBytes = Block }, NullLogger<Prefetcher>.Instance);
        var id = new CacheObjectId("k/model.safetensors", "e", bytes.Length);

        using (prefetcher.Open(id, source))
        {
            await source.HeaderRead.Task.WaitAsync(Bounded);
            prefetcher.OnRead(id, dataStart + 100 + 10, 4096);
            await source.AllFetched.Task.WaitAsync(Bounded);
        }

        for (var b = bigFirst; b <= bigLast; b++)
        {
            Assert.True(cache.IsBlockPresent(id, b), $"block {b} of the touched tensor was not prefetched");
        }
    }

    [Fact]
    public async Task After_a_restart_blocks_right_ahead_of_each_reader_are_checked_before_it_asks_and_no_further()
    {
        var data = new byte[Block * 8];
        new Random(2).NextBytes(data);
        var id = new CacheObjectId("k/model.bin", "e", data.Length);
        var source = new RecordingSource(data);
        var inner = new InMemoryBlockCache(Block);
        for (var b = 0; b < 8; b++)
        {
            await inner.EnsureBlockAsync(id, b, source, CancellationToken.None);
        }

        var cache = new RestartedCache(inner, 0, 1);
        using var prefetcher = new Prefetcher(
            cache, new PrefetchOptions { WholeFileThreshold = 0, CheckAheadBytes = 2 * Block }, NullLogger<Prefetcher>.Instance);
        using (prefetcher.Open(id, source))
        {
            await cache.Reached.Task.WaitAsync(Bounded); // the open's stream starts at block 0
            cache.ExpectNext(4, 5);
            prefetcher.OnRead(id, 4L * Block, Block);
            await cache.Reached.Task.WaitAsync(Bounded);
        }

        Assert.Equal([0L, 1L, 4L, 5L], cache.Checked.Order());
        Assert.Equal(8, source.Offsets.Count); // checks read the disk, never the source
    }

    [Fact]
    public async Task The_next_fetch_goes_to_the_reader_closest_to_its_next_missing_block_not_to_the_newest_reader()
    {
        // Stream 0 (the open) needs block 5 next; a newer reader at block 10 has everything up to block 29 already.
        var data = new byte[Block * 40];
        new Random(3).NextBytes(data);
        var id = new CacheObjectId("k/model.bin", "e", data.Length);
        var cache = new InMemoryBlockCache(Block);
        var filler = new RecordingSource(data);
        foreach (var b in Enumerable.Range(0, 5).Concat(Enumerable.Range(10, 20)))
        {
            await cache.EnsureBlockAsync(id, b, filler, CancellationToken.None);
        }

        var source = new GatedSource(data);
        using var prefetcher = new Prefetcher(cache, new PrefetchOptions { WholeFileThreshold = 0, MaxInFlight = 1 }, NullLogger<Prefetcher>.Instance);
        var started = new List<long>();
        using (prefetcher.Open(id, source))
        {
            started.Add(await source.Started.Reader.ReadAsync().AsTask().WaitAsync(Bounded));
            prefetcher.OnRead(id, 10L * Block, Block);
            for (var i = 0; i < 2; i++)
            {
                source.Release.Release();
                started.Add(await source.Started.Reader.ReadAsync().AsTask().WaitAsync(Bounded));
            }
        }

        // Newest first would have fetched block 30 second or third, while the reader at block 0 waits for 6 and 7.
        Assert.Equal([5L, 6L, 7L], started);
    }

    /// <summary>Each fetch reports its block, then waits until the test lets one through.</summary>
    private sealed class GatedSource(byte[] data) : IBlockSource
    {
        public System.Threading.Channels.Channel<long> Started { get; } = System.Threading.Channels.Channel.CreateUnbounded<long>();

        public SemaphoreSlim Release { get; } = new(0);

        public async ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Started.Writer.TryWrite(offset / Block);
            await Release.WaitAsync(cancellationToken);
            data.AsSpan((int)offset, destination.Length).CopyTo(destination.Span);
        }
    }

    /// <summary>Every block present, none checked by "this process" yet: a daemon just restarted on a full cache.</summary>
    private sealed class RestartedCache(InMemoryBlockCache inner, params long[] expected) : IBlockCache
    {
        private readonly HashSet<long> _checked = [];
        private HashSet<long> _expected = [.. expected];

        public TaskCompletionSource Reached { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyCollection<long> Checked
        {
            get
            {
                lock (_checked)
                {
                    return [.. _checked];
                }
            }
        }

        public int BlockSize => inner.BlockSize;

        public CacheStatistics Statistics => inner.Statistics;

        public void ExpectNext(params long[] blocks)
        {
            lock (_checked)
            {
                _expected = [.. blocks];
                Reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public async ValueTask EnsureReadableAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken)
        {
            await inner.EnsureBlockAsync(id, blockIndex, source, cancellationToken);
            lock (_checked)
            {
                _checked.Add(blockIndex);
                if (_expected.Remove(blockIndex) && _expected.Count == 0)
                {
                    Reached.TrySetResult();
                }
            }
        }

        public long FirstUnreadableBlock(CacheObjectId id, long fromBlock, long toBlock)
        {
            var count = (id.Size + BlockSize - 1) / BlockSize;
            for (var b = fromBlock; b < Math.Min(toBlock, count); b++)
            {
                lock (_checked)
                {
                    if (!_checked.Contains(b))
                    {
                        return b;
                    }
                }
            }

            return -1;
        }

        public ValueTask<int> ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken) =>
            inner.ReadAsync(id, offset, destination, source, cancellationToken);

        public ValueTask EnsureBlockAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken) =>
            inner.EnsureBlockAsync(id, blockIndex, source, cancellationToken);

        public bool IsBlockPresent(CacheObjectId id, long blockIndex) => inner.IsBlockPresent(id, blockIndex);

        public long FirstMissingBlock(CacheObjectId id, long fromBlock, long toBlock) => inner.FirstMissingBlock(id, fromBlock, toBlock);

        public bool TryLend(CacheObjectId id, long offset, int length, out BlockLease lease) => inner.TryLend(id, offset, length, out lease);

        public bool TryGetVerifiedFile(CacheObjectId id, out string path) => inner.TryGetVerifiedFile(id, out path);

        public IDisposable Pin(CacheObjectId id) => inner.Pin(id);

        public void Dispose() => inner.Dispose();
    }

    private sealed class RecordingSource : IBlockSource
    {
        private readonly byte[] _data;
        private readonly HashSet<long> _waitFor;

        public RecordingSource(byte[] data, int expectedBlocks = 0, long[]? waitFor = null)
        {
            _data = data;
            _waitFor = [.. waitFor ?? Enumerable.Range(0, expectedBlocks).Select(b => (long)b)];
        }

        public ConcurrentBag<long> Offsets { get; } = [];

        public TaskCompletionSource AllFetched { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource HeaderRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            _data.AsSpan((int)offset, destination.Length).CopyTo(destination.Span);
            Offsets.Add(offset);
            lock (_waitFor)
            {
                _waitFor.Remove(offset / Block);
                if (_waitFor.Count == 0)
                {
                    AllFetched.TrySetResult();
                }
            }

            if (offset == 0)
            {
                HeaderRead.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }
}
