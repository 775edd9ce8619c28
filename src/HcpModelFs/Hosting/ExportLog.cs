using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs export` (ids 6200-6299).</summary>
internal static partial class ExportLog
{
    [LoggerMessage(6200, LogLevel.Information, "{Model}: {Done}/{Total} bytes exported, {Files} files")]
    public static partial void Progress(ILogger logger, string model, long done, long total, int files);

    [LoggerMessage(6201, LogLevel.Information, "{Model}: exported {Commit} to {Path}: {Files} files, {Bytes} bytes")]
    public static partial void Done(ILogger logger, string model, string commit, string path, int files, long bytes);

    [LoggerMessage(6202, LogLevel.Error, "{Model}: export failed: {Reason}")]
    public static partial void Failed(ILogger logger, string model, string reason);
}
