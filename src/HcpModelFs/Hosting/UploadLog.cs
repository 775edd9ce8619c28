using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs upload` (ids 6300-6399).</summary>
internal static partial class UploadLog
{
    [LoggerMessage(6300, LogLevel.Information, "{Model}: {Done}/{Total} bytes hashed and uploaded")]
    public static partial void Progress(ILogger logger, string model, long done, long total);
}
