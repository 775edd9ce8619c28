using System.Globalization;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Hub;
using HcpModelFs.Store.Configuration;

namespace HcpModelFs.Configuration;

/// <summary>
/// Binds <see cref="DaemonSettings"/> from environment-style variables. A pure function of its inputs (tests pass
/// dictionaries); the store part is <see cref="StoreSettingsBinder"/>. Errors name the variable, never a value.
/// </summary>
internal static class DaemonSettingsBinder
{
    public static DaemonSettings Bind(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string>? dotEnv, bool isRoot, string home)
    {
        var merged = ConfigurationSources.Merge(environment, dotEnv);

        string? Get(string name) => merged.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        long? maxBytes = null;
        if (Get("MODEL_CACHE_MAX_SIZE") is { } size)
        {
            maxBytes = ByteSize.TryParse(size, out var parsed) && parsed > 0
                ? parsed
                : throw new FormatException("MODEL_CACHE_MAX_SIZE must be a size such as 200GiB");
        }

        var blockSize = 8 << 20;
        if (Get("HCPMODELFS_BLOCK_SIZE") is { } block)
        {
            blockSize = ByteSize.TryParse(block, out var parsed) && parsed is >= 1 << 20 and <= 256 << 20 && (parsed & (parsed - 1)) == 0
                ? (int)parsed
                : throw new FormatException("HCPMODELFS_BLOCK_SIZE must be a power of two from 1MiB to 256MiB");
        }

        var cacheMemory = 96L << 20;
        if (Get("HCPMODELFS_CACHE_MEMORY") is { } memory)
        {
            cacheMemory = ByteSize.TryParse(memory, out var parsed) && parsed >= 0
                ? parsed
                : throw new FormatException("HCPMODELFS_CACHE_MEMORY must be a size such as 96MiB (0 = none)");
        }

        int? readAhead = 16 * 1024;
        if (Get("HCPMODELFS_READ_AHEAD_KB") is { } ra)
        {
            readAhead = ra == "0" ? null : int.TryParse(ra, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) && kb > 0
                ? kb
                : throw new FormatException("HCPMODELFS_READ_AHEAD_KB must be a positive number of KiB (0 = leave the kernel default)");
        }

        ushort maxBackground = 128;
        if (Get("HCPMODELFS_FUSE_MAX_BACKGROUND") is { } bg)
        {
            maxBackground = ushort.TryParse(bg, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 4096
                ? n
                : throw new FormatException("HCPMODELFS_FUSE_MAX_BACKGROUND must be a number from 1 to 4096");
        }

        var inFlight = 8;
        if (Get("HCPMODELFS_PREFETCH_IN_FLIGHT") is { } fl)
        {
            inFlight = int.TryParse(fl, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 256
                ? n
                : throw new FormatException("HCPMODELFS_PREFETCH_IN_FLIGHT must be a number from 1 to 256");
        }

        var requestTimeout = Seconds(Get, "HCPMODELFS_REQUEST_TIMEOUT_SECONDS", 30);
        return new DaemonSettings
        {
            Hub = HubOptions.FromEnvironment(merged.ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal)),
            HubPolicy = BindPolicy(Get),
            LeaseTtl = Seconds(Get, "HCPMODELFS_INGEST_LEASE_TTL", 60),
            IngestPollInterval = Seconds(Get, "HCPMODELFS_INGEST_POLL_INTERVAL", 5),
            IngestFollowWait = FollowWait(Get, requestTimeout),
            IngestPartsInFlight = Get("HCPMODELFS_INGEST_PARTS_IN_FLIGHT") is { } parts
                ? int.TryParse(parts, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 64
                    ? p
                    : throw new FormatException("HCPMODELFS_INGEST_PARTS_IN_FLIGHT must be a number from 1 to 64")
                : 8,
            PrefetchInFlight = inFlight,
            ListingTtl = Seconds(Get, "HCPMODELFS_LISTING_TTL", 60),
            ListingMaxKeys = Get("HCPMODELFS_LISTING_MAX_KEYS") is { } keys
                ? int.TryParse(keys, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k >= 1
                    ? k
                    : throw new FormatException("HCPMODELFS_LISTING_MAX_KEYS must be a positive number of keys")
                : 100_000,
            Store = StoreSettingsBinder.Bind(environment, dotEnv),
            CacheDirectory = Get("MODEL_CACHE_DIR") ?? (isRoot ? "/var/cache/hcpmodelfs" : Path.Combine(home, ".cache", "hcpmodelfs")),
            CacheMaxBytes = maxBytes,
            BlockSize = blockSize,
            CacheMemoryBytes = cacheMemory,
            CacheDirectWrites = Get("HCPMODELFS_CACHE_DIRECT_IO") is not ("0" or "false" or "off"),
            Passthrough = Get("HCPMODELFS_PASSTHROUGH") is not ("0" or "false" or "off"),
            LocalStoreDirectory = (isRoot ? "/var/lib/hcpmodelfs/store" : Path.Combine(home, ".local", "share", "hcpmodelfs", "store")),
            ReadAheadKb = readAhead,
            FuseMaxBackground = maxBackground,
            LogFile = Get("HCPMODELFS_LOG_FILE"),
            LogFileMaxBytes = Get("HCPMODELFS_LOG_FILE_MAX_SIZE") is { } logSize
                ? ByteSize.TryParse(logSize, out var lb) && lb >= 1 << 20
                    ? lb
                    : throw new FormatException("HCPMODELFS_LOG_FILE_MAX_SIZE must be a size of at least 1MiB, such as 100MiB")
                : 100L << 20,
            LogFileRetained = Get("HCPMODELFS_LOG_FILE_RETAINED") is { } kept
                ? int.TryParse(kept, NumberStyles.None, CultureInfo.InvariantCulture, out var retained) && retained is >= 1 and <= 1000
                    ? retained
                    : throw new FormatException("HCPMODELFS_LOG_FILE_RETAINED must be a number from 1 to 1000")
                : 5,
            RequestTimeout = requestTimeout,
            LogRepeatInterval = Seconds(Get, "HCPMODELFS_LOG_REPEAT_INTERVAL", 60),
            MetricsListen = MetricsListenSetting.Parse(Get("HCPMODELFS_METRICS_LISTEN"), "HCPMODELFS_METRICS_LISTEN"),
            LogLevel = Get("HCPMODELFS_LOG_LEVEL") ?? "Information",
            LogFormat = Get("HCPMODELFS_LOG_FORMAT"),
            AllowOther = Get("HCPMODELFS_ALLOW_OTHER") is not ("0" or "false"),
            HttpListen = Get("HCPMODELFS_HTTP_LISTEN") ?? "127.0.0.1:8080",
            HttpTokensFile = Get("HCPMODELFS_HTTP_TOKENS_FILE"),
            HttpPublicUrl = Get("HCPMODELFS_HTTP_PUBLIC_URL") is { } url
                ? Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                    ? u
                    : throw new FormatException("HCPMODELFS_HTTP_PUBLIC_URL must be an absolute http(s) URL")
                : null,
            HttpTreePageSize = Get("HCPMODELFS_HTTP_TREE_PAGE_SIZE") is { } page
                ? int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var ps) && ps is >= 1 and <= 10000
                    ? ps
                    : throw new FormatException("HCPMODELFS_HTTP_TREE_PAGE_SIZE must be a number from 1 to 10000")
                : 1000,
        };
    }

    private static HubPolicy BindPolicy(Func<string, string?> get)
    {
        static string[] List(string? value) =>
            value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        long? max = null;
        if (get("HCPMODELFS_HUB_MAX_MODEL_SIZE") is { } size)
        {
            max = ByteSize.TryParse(size, out var parsed) && parsed > 0
                ? parsed
                : throw new FormatException("HCPMODELFS_HUB_MAX_MODEL_SIZE must be a size such as 500GiB");
        }

        var allow = List(get("HCPMODELFS_HUB_ALLOW"));
        return new HubPolicy
        {
            Enabled = get("HCPMODELFS_HUB_INGEST")?.ToLowerInvariant() switch
            {
                null or "1" or "true" or "on" => true,
                "0" or "false" or "off" => false,
                _ => throw new FormatException("HCPMODELFS_HUB_INGEST must be on or off"),
            },
            Allow = allow.Length == 0 ? ["*"] : allow,
            Deny = List(get("HCPMODELFS_HUB_DENY")),
            MaxModelBytes = max,
            Trigger = get("HCPMODELFS_INGEST_ON")?.ToLowerInvariant() switch
            {
                null or "open" => IngestTrigger.Open,
                "lookup" => IngestTrigger.Lookup,
                _ => throw new FormatException("HCPMODELFS_INGEST_ON must be open or lookup"),
            },
        };
    }

    /// <summary>
    /// A follower's block fetch waits this long for the lease holder and then still has its transfer to make inside the
    /// READ's time limit: an explicit value must be shorter than the limit; the default gives the transfer a third.
    /// </summary>
    private static TimeSpan FollowWait(Func<string, string?> get, TimeSpan requestTimeout)
    {
        const string Name = "HCPMODELFS_INGEST_FOLLOW_WAIT";
        if (get(Name) is null)
        {
            return TimeSpan.FromSeconds(Math.Min(20, requestTimeout.TotalSeconds * 2 / 3));
        }

        var wait = Seconds(get, Name, 20, allowZero: true);
        return wait < requestTimeout
            ? wait
            : throw new FormatException($"{Name} must be shorter than HCPMODELFS_REQUEST_TIMEOUT_SECONDS ({requestTimeout.TotalSeconds:0.#} s): a READ that waits longer fails with EIO");
    }

    private static TimeSpan Seconds(Func<string, string?> get, string name, double fallback, bool allowZero = false)
    {
        var value = get(name);
        if (value is null)
        {
            return TimeSpan.FromSeconds(fallback);
        }

        return double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && (seconds is > 0 and <= 86400 || (allowZero && seconds == 0))
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"{name} must be a number of seconds");
    }

    /// <summary>The settings of all layers (config file &lt; .env &lt; environment &lt; flags), merged by <see cref="ConfigurationLayers"/>.</summary>
    public static DaemonSettings Bind(ConfigurationLayers layers, bool isRoot, string home)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return Bind(layers.Values, null, isRoot, home);
    }

    /// <summary>The process's settings without `--config` (HCPMODELFS_CONFIG or the default file still apply).</summary>
    public static DaemonSettings BindFromProcess(string? dotEnvPath) => SettingsLoader.Load(dotEnvPath, configPath: null).Settings;
}
