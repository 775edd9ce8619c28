namespace HcpModelFs.Core.Cache;

/// <summary>The block cache's event counts (lock-free; read as a <see cref="CacheStatistics"/> snapshot).</summary>
internal sealed class CacheCounters
{
    public long Hits;
    public long Misses;
    public long HitBytes;
    public long MissBytes;
    public long Fetches;
    public long Evictions;
    public long CorruptBlocks;
    public long VerificationsPassed;
    public long VerificationsFailed;
    public long ChecksumChecks;

    public CacheStatistics Snapshot(long bytes, int objects, long maxBytes) => new(
        bytes,
        objects,
        Interlocked.Read(ref Hits),
        Interlocked.Read(ref Misses),
        Interlocked.Read(ref Fetches),
        Interlocked.Read(ref Evictions),
        Interlocked.Read(ref CorruptBlocks),
        Interlocked.Read(ref VerificationsPassed),
        Interlocked.Read(ref VerificationsFailed),
        maxBytes);
}
