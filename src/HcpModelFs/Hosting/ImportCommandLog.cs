using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Log events of `hcpmodelfs import` (ids 6400-6499).</summary>
internal static partial class ImportCommandLog
{
    [LoggerMessage(6400, LogLevel.Information, "{Model}: {Done}/{Total} bytes imported")]
    public static partial void Progress(ILogger logger, string model, long done, long total);
}
