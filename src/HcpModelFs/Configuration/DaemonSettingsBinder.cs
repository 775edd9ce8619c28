using System.Globalization;
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

        int? readAhead = 16 * 1024;
        if (Get("HCPMODELFS_READ_AHEAD_KB") is { } ra)
        {
            readAhead = ra == "0" ? null : int.TryParse(ra, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) && kb > 0
                ? kb
                : throw new FormatException("HCPMODELFS_READ_AHEAD_KB must be a positive number of KiB (0 = leave the kernel default)");
        }

        var inFlight = 8;
        if (Get("HCPMODELFS_PREFETCH_IN_FLIGHT") is { } fl)
        {
            inFlight = int.TryParse(fl, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 256
                ? n
                : throw new FormatException("HCPMODELFS_PREFETCH_IN_FLIGHT must be a number from 1 to 256");
        }

        return new DaemonSettings
        {
            PrefetchInFlight = inFlight,
            Store = StoreSettingsBinder.Bind(environment, dotEnv),
            CacheDirectory = Get("MODEL_CACHE_DIR") ?? (isRoot ? "/var/cache/hcpmodelfs" : Path.Combine(home, ".cache", "hcpmodelfs")),
            CacheMaxBytes = maxBytes,
            BlockSize = blockSize,
            LocalStoreDirectory = (isRoot ? "/var/lib/hcpmodelfs/store" : Path.Combine(home, ".local", "share", "hcpmodelfs", "store")),
            ReadAheadKb = readAhead,
            LogFile = Get("HCPMODELFS_LOG_FILE"),
            LogLevel = Get("HCPMODELFS_LOG_LEVEL") ?? "Information",
            LogFormat = Get("HCPMODELFS_LOG_FORMAT"),
            AllowOther = Get("HCPMODELFS_ALLOW_OTHER") is not ("0" or "false"),
        };
    }

    public static DaemonSettings BindFromProcess(string? dotEnvPath)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Bind(ConfigurationSources.ProcessEnvironment(), ConfigurationSources.ReadDotEnv(dotEnvPath), Fuse.Mounting.FuseMounter.IsRoot, string.IsNullOrEmpty(home) ? "/tmp" : home);
    }
}
