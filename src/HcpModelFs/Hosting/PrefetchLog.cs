using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs prefetch` (ids 6100-6199).</summary>
internal static partial class PrefetchLog
{
    [LoggerMessage(6100, LogLevel.Information, "{Model}: {Stored}/{Total} bytes in the store, {FilesDone}/{Files} files")]
    public static partial void Progress(ILogger logger, string model, long stored, long total, int filesDone, int files);

    [LoggerMessage(6101, LogLevel.Information, "{Model}: in the store at {Commit}: {Files} files, {Bytes} bytes")]
    public static partial void Done(ILogger logger, string model, string commit, int files, long bytes);

    [LoggerMessage(6102, LogLevel.Information, "{Model}: already in the store at {Commit} (local cache warmed: {Warmed})")]
    public static partial void AlreadyStored(ILogger logger, string model, string commit, bool warmed);

    [LoggerMessage(6103, LogLevel.Error, "{Model}: prefetch failed: {Reason}")]
    public static partial void Failed(ILogger logger, string model, string reason);
}
