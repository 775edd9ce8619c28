using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/// <summary>Log events of Hub lookups and ingests (ids 3100-3199).</summary>
internal static partial class IngestLog
{
    [LoggerMessage(3100, LogLevel.Information, "{Org}/{Model}@{Revision} is not in the store; found on the Hub at {Commit}: {Files} files, {Bytes} bytes")]
    public static partial void FoundOnHub(ILogger logger, string org, string model, string revision, string commit, int files, long bytes);

    [LoggerMessage(3101, LogLevel.Information, "{Org}/{Model}@{Revision} is neither in the store nor on the Hub (or it is private and the token has no access)")]
    public static partial void NotOnHub(ILogger logger, string org, string model, string revision);

    [LoggerMessage(3102, LogLevel.Warning, "The Hub refuses {Org}/{Model} ({Reason}): set HF_TOKEN to a token with access, or request access on the Hub; answering EACCES")]
    public static partial void HubRefused(ILogger logger, string org, string model, string reason);

    [LoggerMessage(3103, LogLevel.Warning, "{Org}/{Model} on the Hub has {Bytes} bytes, more than the policy's maximum of {Max}; not served")]
    public static partial void ModelTooLarge(ILogger logger, string org, string model, long bytes, long max);

    [LoggerMessage(3104, LogLevel.Warning, "{Org}/{Model}: Hub path '{Path}' is not a safe relative path; left out")]
    public static partial void HubPathSkipped(ILogger logger, string org, string model, string path);

    [LoggerMessage(3110, LogLevel.Information, "Ingest of {Model} at {Commit} started: {Files} files, {Bytes} bytes (lease {Sequence})")]
    public static partial void Started(ILogger logger, string model, string commit, int files, long bytes, long sequence);

    [LoggerMessage(3111, LogLevel.Information, "Ingest of {Model}: {Path} stored ({Bytes} bytes, {MBps:F1} MB/s)")]
    public static partial void FileStored(ILogger logger, string model, string path, long bytes, double mbps);

    [LoggerMessage(3112, LogLevel.Information, "Ingest of {Model} at {Commit} committed: {Files} files, {Bytes} bytes in {Seconds:F1} s ({MBps:F1} MB/s)")]
    public static partial void Committed(ILogger logger, string model, string commit, int files, long bytes, double seconds, double mbps);

    [LoggerMessage(3113, LogLevel.Information, "Ingest of {Model} at {Commit}: another node holds the lease; serving readers from its finished files in the store (first blocks from the Hub) and waiting for its manifest")]
    public static partial void Following(ILogger logger, string model, string commit);

    [LoggerMessage(3114, LogLevel.Warning, "Ingest of {Model} at {Commit} failed ({Kind}: {Reason}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string model, string commit, string kind, string reason, TimeSpan delay);

    [LoggerMessage(3115, LogLevel.Error, "Ingest of {Model} at {Commit} abandoned: {Reason}; nothing was committed, readers get EIO")]
    public static partial void Abandoned(ILogger logger, string model, string commit, string reason);

    [LoggerMessage(3116, LogLevel.Warning, "Ingest of {Model} at {Commit}: the lease was taken over by another node; stopping uploads")]
    public static partial void LeaseLost(ILogger logger, string model, string commit);

    [LoggerMessage(3117, LogLevel.Information, "Ingest of {Model}: aborted an abandoned multipart upload of {Key}")]
    public static partial void AbortedStaleUpload(ILogger logger, string model, string key);

    [LoggerMessage(3118, LogLevel.Information, "Ingest of {Model} at {Commit}: committed by another node")]
    public static partial void CommittedElsewhere(ILogger logger, string model, string commit);

    [LoggerMessage(3119, LogLevel.Error, "Ingest of {Model}: {Path} does not match the Hub's metadata ({Reason})")]
    public static partial void Mismatch(ILogger logger, string model, string path, string reason);

    [LoggerMessage(3120, LogLevel.Warning, "Ingest of {Model}: the lease holder did not finish {Path} within {Wait}; until it does, this node reads the blocks its readers need from the Hub")]
    public static partial void FollowTimedOut(ILogger logger, string model, string path, TimeSpan wait);
}
