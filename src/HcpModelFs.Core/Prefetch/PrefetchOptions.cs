namespace HcpModelFs.Core.Prefetch;

public sealed record PrefetchOptions
{
    /// <summary>Files at least this large are fetched whole in the background when opened.</summary>
    public long WholeFileThreshold { get; init; } = 32L << 20;

    /// <summary>Block fetches in flight across all files (the store's connection budget bounds it too).</summary>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>How far ahead of the furthest reader the background fetch may run (keep it well under the cache size).</summary>
    public long MaxAheadBytes { get; init; } = 4L << 30;

    /// <summary>
    /// How far ahead of each reader blocks on disk but unchecked in this process (after a restart) are read back and
    /// checked, so the reader finds them in memory. Keep it within the cache's block memory, or checked blocks are
    /// dropped from memory before the reader gets to them.
    /// </summary>
    public long CheckAheadBytes { get; init; } = 32L << 20;

    /// <summary>Failed block fetches of one file before its background fetch gives up (readers still fetch on demand).</summary>
    public int MaxFailures { get; init; } = 8;

    /// <summary>While prefetches keep failing, one summary line per this interval (one line when they start).</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(60);
}
