using System.Collections.Concurrent;

namespace HcpModelFs.Core.Cache;

/// <summary>Page-aligned block buffers, a few kept for reuse (allocating and first touching 8 MiB is not free).</summary>
internal sealed class BlockBufferPool(int blockSize, int keep)
{
    private readonly ConcurrentBag<BlockBuffer> _free = [];
    private int _rented;

    /// <summary>Buffers handed out and not yet back (tests: nothing leaks).</summary>
    public int Outstanding => Volatile.Read(ref _rented);

    /// <summary>Memory of the buffers handed out.</summary>
    public long OutstandingBytes => (long)Outstanding * blockSize;

    public BlockBuffer Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, blockSize);
        Interlocked.Increment(ref _rented);
        return (_free.TryTake(out var buffer) ? buffer : new BlockBuffer(blockSize, this)).Reset(length);
    }

    public void Return(BlockBuffer buffer)
    {
        Interlocked.Decrement(ref _rented);
        if (_free.Count < keep)
        {
            _free.Add(buffer);
        }
    }
}
