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
