using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs prefetch` (ids 4100-4119).</summary>
internal static partial class PrefetchLog
{
    [LoggerMessage(4100, LogLevel.Information, "{Model}: {Stored}/{Total} bytes in the store, {FilesDone}/{Files} files")]
    public static partial void Progress(ILogger logger, string model, long stored, long total, int filesDone, int files);

    [LoggerMessage(4101, LogLevel.Information, "{Model}: in the store at {Commit}: {Files} files, {Bytes} bytes")]
    public static partial void Done(ILogger logger, string model, string commit, int files, long bytes);

    [LoggerMessage(4102, LogLevel.Information, "{Model}: already in the store at {Commit} (local cache warmed: {Warmed})")]
    public static partial void AlreadyStored(ILogger logger, string model, string commit, bool warmed);

    [LoggerMessage(4103, LogLevel.Error, "{Model}: prefetch failed: {Reason}")]
    public static partial void Failed(ILogger logger, string model, string reason);
}
