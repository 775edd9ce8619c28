using System.Collections.Concurrent;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Testing.Fakes;

/// <summary>
/// A block cache in RAM for unit tests of the layers above the cache: same contract as DiskBlockCache (whole blocks,
/// fetched once, reads exact), no disk, no eviction. Counts fetches per block.
/// </summary>
public sealed class InMemoryBlockCache(int blockSize = 1 << 20) : IBlockCache
{
    private readonly ConcurrentDictionary<(string Key, long Block), Lazy<Task<byte[]>>> _blocks = new();
    private int _pins;

    public int BlockSize { get; } = blockSize;

    public int Fetches { get; private set; }

    public int Pins => Volatile.Read(ref _pins);

    public CacheStatistics Statistics => new(_blocks.Values.Where(b => b.IsValueCreated && b.Value.IsCompletedSuccessfully).Sum(b => (long)b.Value.Result.Length),
        _blocks.Keys.Select(k => k.Key).Distinct().Count(), 0, 0, Fetches, 0, 0, 0, 0, 0);

    public async ValueTask<int> ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var count = (int)Math.Clamp(id.Size - offset, 0, destination.Length);
        var done = 0;
        while (done < count)
        {
            var position = offset + done;
            var block = await GetAsync(id, position / BlockSize, source, cancellationToken);
            var within = (int)(position % BlockSize);
            var n = Math.Min(count - done, block.Length - within);
            block.AsSpan(within, n).CopyTo(destination.Span[done..]);
            done += n;
        }

        return count;
    }

    public async ValueTask EnsureBlockAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken) =>
        await GetAsync(id, blockIndex, source, cancellationToken);

    /// <summary>Blocks here are checked once, when fetched: readable is present.</summary>
    public ValueTask EnsureReadableAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken) =>
        EnsureBlockAsync(id, blockIndex, source, cancellationToken);

    public long FirstUnreadableBlock(CacheObjectId id, long fromBlock, long toBlock) => FirstMissingBlock(id, fromBlock, toBlock);

    public bool IsBlockPresent(CacheObjectId id, long blockIndex) =>
        _blocks.TryGetValue((id?.Key ?? string.Empty, blockIndex), out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully;

    public long FirstMissingBlock(CacheObjectId id, long fromBlock, long toBlock)
    {
        var count = (id.Size + BlockSize - 1) / BlockSize;
        for (var b = fromBlock; b < Math.Min(toBlock, count); b++)
        {
            if (!IsBlockPresent(id, b))
            {
                return b;
            }
        }

        return -1;
    }

    /// <summary>Lends nothing: every read copies (the contract allows it).</summary>
    public bool TryLend(CacheObjectId id, long offset, int length, out BlockLease lease)
    {
        lease = default;
        return false;
    }

    /// <summary>Nothing here is a file: passthrough never applies.</summary>
    public bool TryGetVerifiedFile(CacheObjectId id, out string path)
    {
        path = string.Empty;
        return false;
    }

    public IDisposable Pin(CacheObjectId id)
    {
        Interlocked.Increment(ref _pins);
        return new Unpin(this);
    }

    public void Dispose()
    {
    }

    private async Task<byte[]> GetAsync(CacheObjectId id, long block, IBlockSource source, CancellationToken cancellationToken)
    {
        var lazy = _blocks.GetOrAdd((id.Key, block), _ => new Lazy<Task<byte[]>>(async () =>
        {
            Fetches++;
            var length = (int)Math.Min(BlockSize, id.Size - (block * BlockSize));
            var data = new byte[length];
            await source.WhenReadyAsync(id, block * BlockSize, CancellationToken.None);
            await source.ReadAsync(id, block * BlockSize, data, CancellationToken.None);
            return data;
        }));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _blocks.TryRemove((id.Key, block), out _); // A failed fetch is not cached: the next read tries again.
            throw;
        }
    }

    private sealed class Unpin(InMemoryBlockCache owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref owner._pins);
            }
        }
    }
}
