using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs export` (ids 4300-4319).</summary>
internal static partial class ExportLog
{
    [LoggerMessage(4300, LogLevel.Information, "{Model}: {Done}/{Total} bytes exported, {Files} files")]
    public static partial void Progress(ILogger logger, string model, long done, long total, int files);

    [LoggerMessage(4301, LogLevel.Information, "{Model}: exported {Commit} to {Path}: {Files} files, {Bytes} bytes")]
    public static partial void Done(ILogger logger, string model, string commit, string path, int files, long bytes);

    [LoggerMessage(4302, LogLevel.Error, "{Model}: export failed: {Reason}")]
    public static partial void Failed(ILogger logger, string model, string reason);
}
