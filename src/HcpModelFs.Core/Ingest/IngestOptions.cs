namespace HcpModelFs.Core.Ingest;

/// <summary>How an ingest runs. Defaults suit production; tests shorten the times.</summary>
public sealed record IngestOptions
{
    /// <summary>Identifies this daemon in lease objects. Stable across restarts (host + cache directory), so a restarted
    /// daemon takes its own abandoned lease back at once instead of waiting for it to expire.</summary>
    public required string NodeId { get; init; }

    /// <summary>A lease not renewed for this long is taken over by another node.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a node that does not hold the lease checks for the manifest and for an expired lease.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a follower's block fetch waits for the lease holder's finished object before it reads that block from
    /// the Hub itself (docs/INGEST.md). Zero: followers read from the Hub at once. Kept below the FUSE request limit.</summary>
    public TimeSpan FollowWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often a waiting follower looks for the holder's object (one HEAD per file it waits for).</summary>
    public TimeSpan FollowPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Whether the upload reads through the local block cache (a mount or a warm prefetch: readers share the fetches and
    /// a restart resumes from the cached blocks) or straight from the Hub into the part buffer (a prefetch that keeps
    /// nothing: no cache write, no copy).
    /// </summary>
    public bool ThroughCache { get; init; } = true;

    /// <summary>Block-sized parts fetched at once, and as many uploaded at once, over all ingests (<see cref="Transfer.PartPipeline"/>:
    /// up to twice this many part buffers).</summary>
    public int PartsInFlight { get; init; } = 8;

    /// <summary>Small files (one request each) worked on at once; big files go one after another with all the part slots.</summary>
    public int FilesInFlight { get; init; } = 4;

    /// <summary>Back-off after a failed attempt (store refusing writes, Hub down): doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A failed ingest (wrong bytes from the Hub) is remembered this long before a new lookup may try again.</summary>
    public TimeSpan FailedRetention { get; init; } = TimeSpan.FromMinutes(5);
}
