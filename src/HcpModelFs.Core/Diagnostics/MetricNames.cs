namespace HcpModelFs.Core.Diagnostics;

/// <summary>
/// Names of Core's instruments, one meter per area. Counters over state the owner already keeps (the cache's
/// Interlocked counts, the ingest jobs, the prefetcher's limiter) are observable: reading them costs nothing on the
/// read path, only at scrape time.
/// </summary>
public static class MetricNames
{
    public const string CacheMeter = "HcpModelFs.Cache";
    public const string CacheHits = "hcpmodelfs.cache.hits";
    public const string CacheMisses = "hcpmodelfs.cache.misses";
    public const string CacheHitBytes = "hcpmodelfs.cache.hit_bytes";
    public const string CacheMissBytes = "hcpmodelfs.cache.miss_bytes";
    public const string CacheFetches = "hcpmodelfs.cache.fetches";
    public const string CacheEvictions = "hcpmodelfs.cache.evictions";
    public const string CacheCorruptBlocks = "hcpmodelfs.cache.corrupt_blocks";
    public const string CacheBytes = "hcpmodelfs.cache.bytes";
    public const string CacheMaxBytes = "hcpmodelfs.cache.max_bytes";
    public const string CacheObjects = "hcpmodelfs.cache.objects";

    public const string PrefetchMeter = "HcpModelFs.Prefetch";
    public const string PrefetchInFlight = "hcpmodelfs.prefetch.in_flight";
    public const string PrefetchFiles = "hcpmodelfs.prefetch.files";

    public const string IngestMeter = "HcpModelFs.Ingest";
    public const string IngestBytesStored = "hcpmodelfs.ingest.bytes_stored";
    public const string IngestFilesStored = "hcpmodelfs.ingest.files_stored";
    public const string IngestCommits = "hcpmodelfs.ingest.commits";
    public const string IngestRetries = "hcpmodelfs.ingest.retries";
    public const string IngestFailures = "hcpmodelfs.ingest.failures";
    public const string IngestActive = "hcpmodelfs.ingest.active";
    public const string IngestProgressBytes = "hcpmodelfs.ingest.progress_bytes";
    public const string IngestTotalBytes = "hcpmodelfs.ingest.total_bytes";
    public const string IngestPhase = "hcpmodelfs.ingest.phase";
    public const string IngestEtaSeconds = "hcpmodelfs.ingest.eta_seconds";

    /// <summary>Tag: org/model of an ingest.</summary>
    public const string ModelTag = "model";

    /// <summary>Tag: the commit an ingest stores.</summary>
    public const string RevisionTag = "revision";

    /// <summary>Tag of the ingest phase gauge: starting, following, uploading, committing, retrying.</summary>
    public const string PhaseTag = "phase";
}
