using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Import;

/// <summary>Log events of `hcpmodelfs import` in Core (ids 3300-3399). Source URLs carry no credentials.</summary>
internal static partial class ImportLog
{
    [LoggerMessage(3300, LogLevel.Information, "Importing {Source} into {Org}/{Model}@{Commit}: {Files} files, {Bytes} bytes")]
    public static partial void Started(ILogger logger, string source, string org, string model, string commit, int files, long bytes);

    [LoggerMessage(3301, LogLevel.Warning, "{Source} refuses ranged reads ({Kind}): one streamed GET per file instead of parallel ranges")]
    public static partial void RangesRefused(ILogger logger, string source, Store.StoreErrorKind kind);

    [LoggerMessage(3302, LogLevel.Information, "Aborted {Count} multipart uploads an interrupted import of {Org}/{Model}@{Commit} left")]
    public static partial void LeftoversAborted(ILogger logger, int count, string org, string model, string commit);

    [LoggerMessage(3303, LogLevel.Information, "{Org}/{Model}@{Commit}: {Files} files ({Bytes} bytes) already imported by an earlier run")]
    public static partial void Resuming(ILogger logger, string org, string model, string commit, int files, long bytes);

    [LoggerMessage(3304, LogLevel.Information, "{Key} was uploaded by an interrupted run without its receipt: hashed from the destination, not copied again")]
    public static partial void DigestedExisting(ILogger logger, string key);

    [LoggerMessage(3305, LogLevel.Information, "Imported {Org}/{Model}@{Commit}: {Files} files, {Bytes} bytes ({Copied} copied in this run)")]
    public static partial void Committed(ILogger logger, string org, string model, string commit, int files, long bytes, long copied);
}
