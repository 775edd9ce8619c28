using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Cache;

/// <summary>Log events of the block cache (event ids 3200-3299).</summary>
internal static partial class CacheLogMessages
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information,
        Message = "Block cache at {Directory}: {Objects} objects, about {Bytes} bytes on disk, limit {MaxBytes} bytes, free-disk floor {MinFreeBytes} bytes")]
    public static partial void CacheOpened(
        this ILogger logger, string directory, int objects, long bytes, long maxBytes, long minFreeBytes);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning,
        Message = "Cached block {BlockIndex} of {Key} (etag {ETag}) failed its CRC32C check (recorded {Expected:x8}, read {Actual:x8}); dropped, fetching it again")]
    public static partial void CorruptBlock(
        this ILogger logger, string key, string etag, long blockIndex, uint expected, uint actual);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Error,
        Message = "Cached copy of {Key} (etag {ETag}) does not match its SHA-256 (expected {Expected}, got {Actual}); all its blocks were dropped")]
    public static partial void WholeFileMismatch(this ILogger logger, string key, string etag, string expected, string actual);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Debug, Message = "Cached copy of {Key} (etag {ETag}) matches its SHA-256")]
    public static partial void WholeFileVerified(this ILogger logger, string key, string etag);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning,
        Message = "Whole-file verification of {Key} (etag {ETag}) could not run")]
    public static partial void WholeFileVerificationError(this ILogger logger, string key, string etag, Exception exception);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Information,
        Message = "Discarded cached data of {Key} (etag {ETag}): its sidecar describes other content or block size")]
    public static partial void SidecarDiscarded(this ILogger logger, string key, string etag);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Debug, Message = "Evicted cached object {Stem} ({Key}), {Bytes} bytes")]
    public static partial void ObjectEvicted(this ILogger logger, string stem, string? key, long bytes);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Warning,
        Message = "Block cache over its limit ({Bytes} of {MaxBytes} bytes, {FreeBytes} bytes free on disk) and nothing can be evicted (all pinned or in use); serving anyway")]
    public static partial void OverLimitNothingEvictable(this ILogger logger, long bytes, long maxBytes, long freeBytes);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Debug, Message = "Removed stray cache file {Path}")]
    public static partial void StrayFileRemoved(this ILogger logger, string path);

    [LoggerMessage(EventId = 3209, Level = LogLevel.Warning, Message = "Could not delete cache file {Path}")]
    public static partial void DeleteFailed(this ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 3210, Level = LogLevel.Warning,
        Message = "Block {Block} of {Key} (etag {ETag}) from the source has CRC32C {Actual:x8}, the manifest recorded {Expected:x8} (attempt {Attempt}); not cached")]
    public static partial void FetchedBlockMismatch(this ILogger logger, string key, string etag, long block, uint expected, uint actual, int attempt);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Debug, Message = "Block {Block} of {Key} served uncached: no room in the cache ({Reason})")]
    public static partial void ServedUncached(this ILogger logger, string key, long block, string reason);
}
