using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of the executable (ids 6000-6099).</summary>
internal static partial class DaemonLog
{
    [LoggerMessage(6000, LogLevel.Information, "Serving {MountPoint} from {Store}; cache {CacheDirectory} (limit {CacheLimit})")]
    public static partial void Serving(ILogger logger, string mountPoint, string store, string cacheDirectory, string cacheLimit);

    [LoggerMessage(6001, LogLevel.Information, "{Signal} received: unmounting")]
    public static partial void Stopping(ILogger logger, string signal);

    [LoggerMessage(6002, LogLevel.Error, "Cannot mount {MountPoint}: {Reason}")]
    public static partial void MountFailed(ILogger logger, string mountPoint, string reason);

    [LoggerMessage(6003, LogLevel.Warning, "The store is not reachable at start-up ({Reason}); mounting anyway, reads fail with EIO until it is back")]
    public static partial void StoreNotReachable(ILogger logger, string reason);

    [LoggerMessage(6004, LogLevel.Information, "Metrics on {Address}metrics; health {Address}healthz, readiness {Address}readyz")]
    public static partial void MetricsListening(ILogger logger, string address);

    [LoggerMessage(6005, LogLevel.Warning, "Cannot serve metrics on {Listen}: {Reason}; serving without /metrics, /healthz and /readyz")]
    public static partial void MetricsListenFailed(ILogger logger, string listen, string reason);

    [LoggerMessage(6006, LogLevel.Debug, "Read-path warm-up did not finish ({Reason}); the first reader compiles that code instead")]
    public static partial void WarmUpFailed(ILogger logger, string reason);

    [LoggerMessage(6090, LogLevel.Warning, "Test-only switch HCPMODELFS_TEST_DISABLE_REQUEST_LIMIT=1: FUSE requests wait without a time limit")]
    public static partial void RequestLimitDisabled(ILogger logger);
}
