namespace HcpModelFs.Core.Cache;

/// <summary>A snapshot of the block cache counters since the cache was opened.</summary>
/// <param name="BytesCached">Bytes of present blocks (estimated from file lengths for objects not yet opened).</param>
/// <param name="Objects">Objects known to the cache (on disk or in use).</param>
/// <param name="BlockHits">Blocks a read found present.</param>
/// <param name="BlockMisses">Blocks a read found missing (and waited for).</param>
/// <param name="Fetches">Reads issued to a block source.</param>
/// <param name="Evictions">Objects evicted.</param>
/// <param name="CorruptBlocks">Present blocks whose CRC32C did not match on first read (dropped and fetched again).</param>
/// <param name="VerificationsPassed">Complete objects whose SHA-256 matched.</param>
/// <param name="VerificationsFailed">Complete objects whose SHA-256 did not match (all blocks dropped).</param>
/// <param name="MaxBytes">The configured byte limit (0 = none).</param>
public sealed record CacheStatistics(
    long BytesCached,
    int Objects,
    long BlockHits,
    long BlockMisses,
    long Fetches,
    long Evictions,
    long CorruptBlocks,
    long VerificationsPassed,
    long VerificationsFailed,
    long MaxBytes);
