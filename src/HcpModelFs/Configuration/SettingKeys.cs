namespace HcpModelFs.Configuration;

/// <summary>
/// Every setting the binders read (DaemonSettingsBinder, StoreSettingsBinder, HubOptions), in the order of
/// docs/CONFIGURATION.md. The config file accepts exactly these keys; a binder that reads a new variable adds it here.
/// </summary>
internal static class SettingKeys
{
    private const string None = "(none)";

    public static IReadOnlyList<SettingKey> All { get; } =
    [
        new("HCP_ENDPOINT", "(none: local-directory store)"),
        new("S3_ENDPOINT", None, AliasOf: "HCP_ENDPOINT"),
        new("HCP_NAMESPACE", None),
        new("S3_BUCKET", None, AliasOf: "HCP_NAMESPACE"),
        new("HCP_ACCESS_KEY", None, SecretKind.Partial),
        new("HCP_ACCESS_KEY_FILE", None, AliasOf: "HCP_ACCESS_KEY"),
        new("S3_ACCESS_KEY_ID", None, SecretKind.Partial, AliasOf: "HCP_ACCESS_KEY"),
        new("S3_ACCESS_KEY_ID_FILE", None, AliasOf: "HCP_ACCESS_KEY"),
        new("HCP_SECRET_KEY", None, SecretKind.Hidden),
        new("HCP_SECRET_KEY_FILE", None, AliasOf: "HCP_SECRET_KEY"),
        new("S3_SECRET_ACCESS_KEY", None, SecretKind.Hidden, AliasOf: "HCP_SECRET_KEY"),
        new("S3_SECRET_ACCESS_KEY_FILE", None, AliasOf: "HCP_SECRET_KEY"),
        new("HCP_REGION", "us-east-1"),
        new("S3_REGION", None, AliasOf: "HCP_REGION"),
        new("AWS_REGION", None, AliasOf: "HCP_REGION"),
        new("HCP_PREFIX", "models/"),
        new("S3_PREFIX", None, AliasOf: "HCP_PREFIX"),
        new("HCP_VERIFY_SSL", "true"),
        new("S3_VERIFY_SSL", None, AliasOf: "HCP_VERIFY_SSL"),
        new("HCP_ROOT_CA_PATH", "(none: system trust store)"),
        new("S3_ROOT_CA_PATH", None, AliasOf: "HCP_ROOT_CA_PATH"),
        new("AWS_CA_BUNDLE", None, AliasOf: "HCP_ROOT_CA_PATH"),
        new("HCP_MAX_CONNECTIONS", "64"),
        new("S3_MAX_CONNECTIONS", None, AliasOf: "HCP_MAX_CONNECTIONS"),
        new("HCP_CREDENTIALS_REFRESH_SECONDS", "10"),
        new("HCP_ATTEMPT_TIMEOUT_SECONDS", "10"),
        new("HCP_MAX_RETRIES", "3"),
        new("HCPMODELFS_SOURCE_ENDPOINT", "(none: import only)"),
        new("HCPMODELFS_SOURCE_REGION", "us-east-1"),
        new("HCPMODELFS_SOURCE_VERIFY_SSL", "true"),
        new("HCPMODELFS_SOURCE_ROOT_CA_PATH", "(none: system trust store)"),
        new("HCPMODELFS_SOURCE_ACCESS_KEY", None, SecretKind.Partial),
        new("HCPMODELFS_SOURCE_ACCESS_KEY_FILE", None, AliasOf: "HCPMODELFS_SOURCE_ACCESS_KEY"),
        new("HCPMODELFS_SOURCE_SECRET_KEY", None, SecretKind.Hidden),
        new("HCPMODELFS_SOURCE_SECRET_KEY_FILE", None, AliasOf: "HCPMODELFS_SOURCE_SECRET_KEY"),
        new("HCPMODELFS_STORE_DIR", "/var/lib/hcpmodelfs/store (root), ~/.local/share/hcpmodelfs/store"),
        new("MODEL_CACHE_DIR", "/var/cache/hcpmodelfs (root), ~/.cache/hcpmodelfs"),
        new("MODEL_CACHE_MAX_SIZE", "(disk minus 10 %)"),
        new("HCPMODELFS_BLOCK_SIZE", "8MiB"),
        new("HCPMODELFS_READ_AHEAD_KB", "16384"),
        new("HCPMODELFS_FUSE_MAX_BACKGROUND", "128"),
        new("HCPMODELFS_CACHE_MEMORY", "96MiB"),
        new("HCPMODELFS_CACHE_DIRECT_IO", "on"),
        new("HCPMODELFS_PASSTHROUGH", "on"),
        new("HCPMODELFS_ALLOW_OTHER", "true"),
        new("HCPMODELFS_PREFETCH_IN_FLIGHT", "8"),
        new("HCPMODELFS_REQUEST_TIMEOUT_SECONDS", "30"),
        new("HCPMODELFS_LISTING_TTL", "60"),
        new("HCPMODELFS_LISTING_MAX_KEYS", "100000"),
        new("HF_ENDPOINT", "https://huggingface.co"),
        new("HF_TOKEN", None, SecretKind.Hidden),
        new("HF_TOKEN_PATH", "$HF_HOME/token"),
        new("HF_TOKEN_FILE", None, AliasOf: "HF_TOKEN_PATH"),
        new("HF_HOME", "$XDG_CACHE_HOME/huggingface or ~/.cache/huggingface"),
        new("HCPMODELFS_HUB_INGEST", "on"),
        new("HCPMODELFS_HUB_ALLOW", "*"),
        new("HCPMODELFS_HUB_DENY", None),
        new("HCPMODELFS_HUB_MAX_MODEL_SIZE", "(no limit)"),
        new("HCPMODELFS_INGEST_ON", "open"),
        new("HCPMODELFS_INGEST_LEASE_TTL", "60"),
        new("HCPMODELFS_INGEST_POLL_INTERVAL", "5"),
        new("HCPMODELFS_INGEST_FOLLOW_WAIT", "20"),
        new("HCPMODELFS_INGEST_PARTS_IN_FLIGHT", "8"),
        new("HCPMODELFS_HTTP_LISTEN", "127.0.0.1:8080"),
        new("HCPMODELFS_HTTP_TOKENS_FILE", "(none: open)"),
        new("HCPMODELFS_HTTP_PUBLIC_URL", "(the request's Host)"),
        new("HCPMODELFS_HTTP_TREE_PAGE_SIZE", "1000"),
        new("HCPMODELFS_LOG_LEVEL", "Information"),
        new("HCPMODELFS_LOG_FORMAT", "(text on a terminal, JSON lines otherwise)"),
        new("HCPMODELFS_LOG_FILE", None),
        new("HCPMODELFS_LOG_FILE_MAX_SIZE", "100MiB"),
        new("HCPMODELFS_LOG_FILE_RETAINED", "5"),
        new("HCPMODELFS_LOG_REPEAT_INTERVAL", "60"),
        new("HCPMODELFS_METRICS_LISTEN", "127.0.0.1:9464"),
    ];

    private static readonly Dictionary<string, SettingKey> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static SettingKey? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The setting and its aliases, in the order the binders look at them.</summary>
    public static IEnumerable<SettingKey> WithAliases(SettingKey main) => All.Where(k => k == main || k.AliasOf == main.Name);
}
