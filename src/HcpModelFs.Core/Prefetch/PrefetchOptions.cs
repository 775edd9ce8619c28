namespace HcpModelFs.Core.Prefetch;

public sealed record PrefetchOptions
{
    /// <summary>Files at least this large are fetched whole in the background when opened.</summary>
    public long WholeFileThreshold { get; init; } = 32L << 20;

    /// <summary>Block fetches in flight across all files (the store's connection budget bounds it too).</summary>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>How far ahead of the furthest reader the background fetch may run (keep it well under the cache size).</summary>
    public long MaxAheadBytes { get; init; } = 4L << 30;

    /// <summary>Failed block fetches of one file before its background fetch gives up (readers still fetch on demand).</summary>
    public int MaxFailures { get; init; } = 8;

    /// <summary>While prefetches keep failing, one summary line per this interval (one line when they start).</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(60);
}
