// The read path of the disk block cache: a read through the cache, block by block; the hit path completes
// synchronously and allocation-free, a block that is not readable yet hands the rest to ReadSlowAsync, which joins or
// starts its fetch (single flight), serves a cold file's first bytes from their own checked GET, and lends a block
// just fetched to the FUSE reply instead of copying it.
using System.Runtime.CompilerServices;

namespace HcpModelFs.Core.Cache;

public sealed partial class DiskBlockCache
{
    /// <inheritdoc />
    /// <remarks>
    /// When every block the read touches is present and verified, this completes synchronously without allocating;
    /// the first block that is not hands the rest of the read to an async continuation.
    /// </remarks>
    public ValueTask<int> ReadAsync(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken)
    {
        var read = Read(id, offset, destination, source, lend: false, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(read.Result.Count) : CountAsync(read);
    }

    /// <inheritdoc />
    /// <remarks>Only a read that waits lends: one readable now is copied (the FUSE session asked to borrow it first).</remarks>
    public ValueTask<CacheRead> ReadOrLendAsync(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken) =>
        Read(id, offset, destination, source, lend: true, cancellationToken);

    private static async ValueTask<int> CountAsync(ValueTask<CacheRead> read) => (await read).Count;

    private ValueTask<CacheRead> Read(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, bool lend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= id.Size || destination.IsEmpty)
        {
            return new ValueTask<CacheRead>(default(CacheRead));
        }

        var length = (int)Math.Min(destination.Length, id.Size - offset);
        var entry = Acquire(id);
        var handedOff = false;
        try
        {
            if (!TryEnsureLoaded(entry, out var data))
            {
                // Not even room for the object's files: read straight from the source, as the cache would have.
                _logger.ServedUncached(id.Key, offset / _blockSize, NoRoomForFiles);
                return ReadUncachedAsync(id, offset, destination[..length], source, cancellationToken);
            }

            var done = 0;
            while (done < length)
            {
                var position = offset + done;
                var block = position / _blockSize;
                if (!data.IsReadable(block))
                {
                    handedOff = true;
                    return ReadSlowAsync(entry, data, id, offset, done, destination[..length], source, lend, cancellationToken);
                }

                Interlocked.Increment(ref _counters.Hits);
                var count = (int)Math.Min(length - done, ((block + 1) * _blockSize) - position);
                Interlocked.Add(ref _counters.HitBytes, count);
                ReadBlock(data, block, destination.Span.Slice(done, count), position);
                done += count;
            }

            return new ValueTask<CacheRead>(new CacheRead(length));
        }
        finally
        {
            if (!handedOff)
            {
                _ledger.Release(entry);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Checks every block first, so a read that must wait has copied and counted nothing; no allocation.</remarks>
    public bool TryReadReady(CacheObjectId id, long offset, Memory<byte> destination, out int read)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        read = 0;
        if (offset >= id.Size || destination.IsEmpty)
        {
            return true;
        }

        var length = (int)Math.Min(destination.Length, id.Size - offset);
        var entry = Acquire(id);
        try
        {
            if (!TryEnsureLoaded(entry, out var data))
            {
                return false; // No room for the object's files: ReadAsync serves it uncached.
            }

            var last = (offset + length - 1) / _blockSize;
            for (var block = offset / _blockSize; block <= last; block++)
            {
                if (!data.IsReadable(block))
                {
                    return false;
                }
            }

            var done = 0;
            while (done < length)
            {
                var position = offset + done;
                var block = position / _blockSize;
                var count = (int)Math.Min(length - done, ((block + 1) * _blockSize) - position);
                Interlocked.Increment(ref _counters.Hits);
                Interlocked.Add(ref _counters.HitBytes, count);
                ReadBlock(data, block, destination.Span.Slice(done, count), position);
                done += count;
            }

            read = length;
            return true;
        }
        finally
        {
            _ledger.Release(entry);
        }
    }

    /// <summary>The rest of a read from <paramref name="done"/> on, fetching or checking blocks; releases the lease.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CacheRead> ReadSlowAsync(
        CacheEntry entry,
        CachedObject data,
        CacheObjectId id,
        long offset,
        int done,
        Memory<byte> destination,
        IBlockSource source,
        bool lend,
        CancellationToken cancellationToken)
    {
        try
        {
            while (done < destination.Length)
            {
                var position = offset + done;
                var block = position / _blockSize;
                var count = (int)Math.Min(destination.Length - done, ((block + 1) * _blockSize) - position);
                if (data.Present.Get(block))
                {
                    Interlocked.Increment(ref _counters.Hits);
                    Interlocked.Add(ref _counters.HitBytes, count);
                }
                else
                {
                    Interlocked.Increment(ref _counters.Misses);
                    Interlocked.Add(ref _counters.MissBytes, count);
                }

                Task? load = null;
                if (block == 0 && data.Head is { } head && position + count <= head.Size && !data.IsReadable(0))
                {
                    // The head of a cold file: served from its own checked GET while the block is on its way. The load
                    // is the cache's now (no reader's token), so it commits the block even when this reader is done.
                    var slot = data.FirstBytes();
                    load = MaterializeAsync(entry, data, id, 0, source, verify: true, CancellationToken.None);
                    if (await slot.TryCopyAsync(position, destination.Slice(done, count), load, cancellationToken))
                    {
                        _ = load.ContinueWith(static t => t.Exception, TaskScheduler.Default); // observed: the block's failure is its next reader's
                        done += count;
                        continue;
                    }
                }

                // A loop, not an if: the flight joined may have been a prefetch (no CRC check), or the block may have
                // been dropped again (whole-file mismatch) before this reader got to it.
                byte[]? uncached = null;
                while (uncached is null && !data.IsReadable(block))
                {
                    try
                    {
                        await (load?.WaitAsync(cancellationToken) ?? MaterializeAsync(entry, data, id, block, source, verify: true, cancellationToken));
                    }
                    catch (BlockNotCachedException full)
                    {
                        uncached = full.Bytes;
                    }

                    load = null;
                }

                var within = (int)(position - (block * _blockSize));
                if (uncached is not null)
                {
                    uncached.AsSpan(within, count).CopyTo(destination.Span.Slice(done, count));
                }
                else if (lend && count == destination.Length && data.TryLendResident(block, within, count, out var lease))
                {
                    return new CacheRead(lease); // The whole read in one block just fetched or checked: no copy.
                }
                else
                {
                    ReadBlock(data, block, destination.Span.Slice(done, count), position);
                }

                done += count;
            }

            return new CacheRead(destination.Length);
        }
        finally
        {
            _ledger.Release(entry);
        }
    }

    private static async ValueTask<CacheRead> ReadUncachedAsync(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken)
    {
        await source.WhenReadyAsync(id, offset, cancellationToken);
        await source.ReadAsync(id, offset, destination, cancellationToken);
        return new CacheRead(destination.Length);
    }

    /// <summary>Copies from the block's in-memory copy when there is one, else preads the cache file.</summary>
    private void ReadBlock(CachedObject data, long block, Span<byte> destination, long position)
    {
        if (!data.TryCopyResident(block, (int)(position - (block * _blockSize)), destination))
        {
            data.ReadPresent(destination, position);
        }
    }
}
