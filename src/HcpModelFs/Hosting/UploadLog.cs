using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs upload` (ids 4320-4329).</summary>
internal static partial class UploadLog
{
    [LoggerMessage(4320, LogLevel.Information, "{Model}: {Done}/{Total} bytes hashed and uploaded")]
    public static partial void Progress(ILogger logger, string model, long done, long total);
}
