namespace HcpModelFs.Core.Cache;

/// <summary>A local cache of object content in fixed-size blocks.</summary>
public interface IBlockCache : IDisposable
{
    /// <summary>Size of a block in bytes (the last block of an object may be shorter).</summary>
    int BlockSize { get; }

    /// <summary>
    /// Reads <c>min(destination.Length, id.Size - offset)</c> bytes (0 at or after EOF), fetching missing blocks from
    /// <paramref name="source"/>, one fetch per block at a time (single flight: concurrent readers of a missing block
    /// share one fetch). Present blocks are pread straight into <paramref name="destination"/>. Never returns short in
    /// the middle of the object: a failed fetch throws (the caller maps it to EIO).
    /// </summary>
    ValueTask<int> ReadAsync(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken);

    /// <summary>
    /// Reads like <see cref="ReadAsync"/> when every block the read touches is readable now (in memory, or on disk and
    /// checked), without waiting for anything; false, with nothing read or counted, when one is not. Lets the FUSE read
    /// path put a time limit only on reads that have to wait. A cache without the fast path answers false.
    /// </summary>
    bool TryReadReady(CacheObjectId id, long offset, Memory<byte> destination, out int read)
    {
        read = 0;
        return false;
    }

    /// <summary>
    /// Reads like <see cref="ReadAsync"/>, but when the read lies in one block that is in memory once it is readable (a
    /// block just fetched for this read or the prefetcher), lends those bytes instead of copying them into
    /// <paramref name="destination"/>. A cache without lending copies.
    /// </summary>
    async ValueTask<CacheRead> ReadOrLendAsync(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken) =>
        new(await ReadAsync(id, offset, destination, source, cancellationToken));

    /// <summary>Makes one block present (fetching it if missing, single flight). For the prefetcher.</summary>
    ValueTask EnsureBlockAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken);

    /// <summary>
    /// Makes one block readable without a wait: fetches it if missing, and checks it against its recorded CRC if it is
    /// on disk but not yet checked by this process (after a restart), leaving it in memory for the reader behind. For
    /// the prefetcher's check-ahead: without it a restarted daemon reads and checks each block only when a READ waits.
    /// </summary>
    ValueTask EnsureReadableAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken);

    /// <summary>Whether the block is on disk with its checksum recorded.</summary>
    bool IsBlockPresent(CacheObjectId id, long blockIndex);

    /// <summary>
    /// The first block in [<paramref name="fromBlock"/>, <paramref name="toBlock"/>) that is not present, or -1 when
    /// all are: one call for a prefetch window instead of a probe per block.
    /// </summary>
    long FirstMissingBlock(CacheObjectId id, long fromBlock, long toBlock);

    /// <summary>
    /// The first block in [<paramref name="fromBlock"/>, <paramref name="toBlock"/>) a READ could not serve at once
    /// (missing, or on disk but unchecked in this process), or -1 when all are readable.
    /// </summary>
    long FirstUnreadableBlock(CacheObjectId id, long fromBlock, long toBlock);

    /// <summary>
    /// Lends <paramref name="length"/> bytes at <paramref name="offset"/> when they lie in one block held in memory
    /// (just fetched, or just checked): the caller writes them out and then calls <see cref="BlockLease.Release(object)"/>.
    /// False when they are not in memory; never fetches, never blocks.
    /// </summary>
    bool TryLend(CacheObjectId id, long offset, int length, out BlockLease lease);

    /// <summary>
    /// Whether every block of the object is present and was checked in this process — what a READ would serve may then
    /// be read by the kernel straight from <paramref name="path"/> (FUSE passthrough). False for caches without files.
    /// </summary>
    bool TryGetVerifiedFile(CacheObjectId id, out string path);

    /// <summary>
    /// Keeps the object from eviction while the lease is held (open files). Blocks a read is waiting for are never
    /// evicted either.
    /// </summary>
    IDisposable Pin(CacheObjectId id);

    /// <summary>A snapshot of the counters.</summary>
    CacheStatistics Statistics { get; }
}
