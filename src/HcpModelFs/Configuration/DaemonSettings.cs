using HcpModelFs.Core.Ingest;
using HcpModelFs.Hub;
using HcpModelFs.Store.Configuration;

namespace HcpModelFs.Configuration;

/// <summary>Everything the daemon needs, bound from .env &lt; environment &lt; command line (design.md §8).</summary>
internal sealed record DaemonSettings
{
    public required StoreSettings Store { get; init; }

    public required string CacheDirectory { get; init; }

    /// <summary>Null: keep 10 % of the cache disk free and use the rest.</summary>
    public long? CacheMaxBytes { get; init; }

    public int BlockSize { get; init; } = 8 << 20;

    /// <summary>Memory for blocks just fetched (HCPMODELFS_CACHE_MEMORY): readers right behind a fetch are served from it.</summary>
    public long CacheMemoryBytes { get; init; } = 96L << 20;

    /// <summary>Cache writes with O_DIRECT where the file system allows it (HCPMODELFS_CACHE_DIRECT_IO, default on).</summary>
    public bool CacheDirectWrites { get; init; } = true;

    /// <summary>FUSE passthrough for complete, verified cache files (HCPMODELFS_PASSTHROUGH, default on; needs Linux 6.9 and root).</summary>
    public bool Passthrough { get; init; } = true;

    /// <summary>Default folder of the embedded local-directory store (HCPMODELFS_STORE_DIR, bound with the store settings, wins).</summary>
    public required string LocalStoreDirectory { get; init; }

    public int? ReadAheadKb { get; init; } = 16 * 1024;

    /// <summary>Kernel-side limit of background (readahead) READs in flight (HCPMODELFS_FUSE_MAX_BACKGROUND, default 128).</summary>
    public ushort FuseMaxBackground { get; init; } = 128;

    /// <summary>Block fetches in flight for prefetch; each holds one block-sized buffer, so this bounds memory.</summary>
    public int PrefetchInFlight { get; init; } = 8;

    public string? LogFile { get; init; }

    /// <summary>Size at which the log file rolls over to a new one (HCPMODELFS_LOG_FILE_MAX_SIZE, default 100MiB).</summary>
    public long LogFileMaxBytes { get; init; } = 100L << 20;

    /// <summary>Log files kept, the current one included (HCPMODELFS_LOG_FILE_RETAINED, default 5).</summary>
    public int LogFileRetained { get; init; } = 5;

    /// <summary>The longest a FUSE request waits for a fetch, another reader's fetch or an ingest check (HCPMODELFS_REQUEST_TIMEOUT_SECONDS).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>While an expected failure repeats, one summary line per this interval (HCPMODELFS_LOG_REPEAT_INTERVAL, seconds).</summary>
    public TimeSpan LogRepeatInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>address:port of /metrics, /healthz and /readyz (HCPMODELFS_METRICS_LISTEN; null = `off`).</summary>
    public string? MetricsListen { get; init; } = DefaultMetricsListen;

    public const string DefaultMetricsListen = "127.0.0.1:9464";

    public string LogLevel { get; init; } = "Information";

    /// <summary>"text", "json", or null: text on a terminal, JSON lines otherwise (containers).</summary>
    public string? LogFormat { get; init; }

    public bool AllowOther { get; init; } = true;

    /// <summary>The Hugging Face Hub (HF_ENDPOINT, HF_TOKEN, ...), asked for models the store lacks.</summary>
    public required HubOptions Hub { get; init; }

    public HubPolicy HubPolicy { get; init; } = new();

    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan IngestPollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a follower's reader waits per file for the lease holder's object (0: read from the Hub at once).</summary>
    public TimeSpan IngestFollowWait { get; init; } = TimeSpan.FromSeconds(20);

    public int IngestPartsInFlight { get; init; } = 8;

    /// <summary>How long listings (and an organisation's bulk index) are remembered (HCPMODELFS_LISTING_TTL).</summary>
    public TimeSpan ListingTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Above this many keys an organisation is listed model by model (HCPMODELFS_LISTING_MAX_KEYS).</summary>
    public int ListingMaxKeys { get; init; } = 100_000;

    /// <summary>Address of the Hub-compatible HTTP endpoint (HCPMODELFS_HTTP_LISTEN; `serve --listen` wins).</summary>
    public string HttpListen { get; init; } = "127.0.0.1:8080";

    /// <summary>File of bearer tokens clients must present, one a line (HCPMODELFS_HTTP_TOKENS_FILE); null = open.</summary>
    public string? HttpTokensFile { get; init; }

    /// <summary>Public URL of the endpoint for absolute links (HCPMODELFS_HTTP_PUBLIC_URL); null = the request's Host.</summary>
    public Uri? HttpPublicUrl { get; init; }

    /// <summary>Tree entries per page (HCPMODELFS_HTTP_TREE_PAGE_SIZE, default 1000 as the Hub).</summary>
    public int HttpTreePageSize { get; init; } = 1000;
}
