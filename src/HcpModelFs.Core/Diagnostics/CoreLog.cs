using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core;

/// <summary>Log events of the model filesystem (ids 3000-3099; the cache has its own).</summary>
internal static partial class CoreLog
{
    [LoggerMessage(3000, LogLevel.Warning, "{Org}/{Model}: ref points at {Commit} but its manifest is missing; the model is not served")]
    public static partial void RefWithoutManifest(ILogger logger, string org, string model, string commit);

    [LoggerMessage(3001, LogLevel.Error, "Manifest {Key} is invalid ({Reason}); the revision is not served")]
    public static partial void ManifestInvalid(ILogger logger, string key, string reason);

    [LoggerMessage(3009, LogLevel.Warning, "Ref log key {Key} is not <sequence>-<commit>; ignored")]
    public static partial void RefEntryIgnored(ILogger logger, string key);

    [LoggerMessage(3002, LogLevel.Warning, "{Operation} failed for {Path}: {Kind} -> {Errno}")]
    public static partial void OperationFailed(ILogger logger, Exception exception, string operation, string path, string kind, string errno);

    [LoggerMessage(3003, LogLevel.Information, "Published {Org}/{Model} at {Commit}: {Files} files, {Bytes} bytes")]
    public static partial void Published(ILogger logger, string org, string model, string commit, int files, long bytes);

    [LoggerMessage(3004, LogLevel.Warning, "Prefetch of {Key} block {Block} failed: {Reason}")]
    public static partial void PrefetchFailed(ILogger logger, string key, long block, string reason);

    [LoggerMessage(3005, LogLevel.Information, "FUSE passthrough: {State}")]
    public static partial void PassthroughState(ILogger logger, string state);

    [LoggerMessage(3006, LogLevel.Warning, "FUSE passthrough of {Key} refused ({Errno}); it is served by READs")]
    public static partial void PassthroughRefused(ILogger logger, string key, string errno);

    [LoggerMessage(3050, LogLevel.Warning, "Organisation {Org} has more than {MaxKeys} keys: it is listed one model at a time, not in bulk (HCPMODELFS_LISTING_MAX_KEYS)")]
    public static partial void OrgIndexTooLarge(ILogger logger, string org, int maxKeys);

    [LoggerMessage(3051, LogLevel.Debug, "Listed organisation {Org} in bulk: {Models} models, {Keys} keys")]
    public static partial void OrgIndexed(ILogger logger, string org, int models, int keys);

    [LoggerMessage(3052, LogLevel.Debug, "Reading the manifests of organisation {Org} ahead stopped: {Reason}")]
    public static partial void ManifestWarmUpStopped(ILogger logger, string org, string reason);

    [LoggerMessage(3007, LogLevel.Warning, "{Operation} failed for {Path}: {Kind} -> {Errno} ({Reason})")]
    public static partial void OperationFailedExpected(ILogger logger, string operation, string path, string kind, string errno, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "{Operation} of {Path} waited {Seconds:0.#} s, the request limit (HCPMODELFS_REQUEST_TIMEOUT_SECONDS): answered EIO")]
    public static partial void RequestTimedOut(ILogger logger, string operation, string path, double seconds);
}
