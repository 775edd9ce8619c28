using HcpModelFs.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Json;

namespace HcpModelFs.Hosting;

/// <summary>
/// Serilog behind Microsoft.Extensions.Logging: human-readable lines on a terminal, JSON lines otherwise (containers,
/// journald), optionally a file that rolls over by size and keeps a bounded number of files. Logs go to stderr so stdout stays free for command output.
/// </summary>
internal static class Logging
{
    /// <summary>The daemon's logging as its settings describe it (level, format, rolling file).</summary>
    public static ILoggerFactory Create(DaemonSettings settings) =>
        Create(settings.LogLevel, settings.LogFormat, settings.LogFile, settings.LogFileMaxBytes, settings.LogFileRetained);

    /// <summary>Logging at <paramref name="level"/> in <paramref name="format"/>; with <paramref name="file"/>, also JSON lines
    /// there, rolling over to file_001, file_002, ... at <paramref name="fileMaxBytes"/> and keeping
    /// <paramref name="retainedFiles"/> files (the current one included).</summary>
    public static ILoggerFactory Create(string level, string? format, string? file, long fileMaxBytes = 100L << 20, int retainedFiles = 5)
    {
        if (!Enum.TryParse<LogEventLevel>(level, ignoreCase: true, out var minimum))
        {
            throw new FormatException("HCPMODELFS_LOG_LEVEL must be one of Verbose, Debug, Information, Warning, Error, Fatal");
        }

        var json = format switch
        {
            "json" => true,
            "text" => false,
            null or "" => Console.IsErrorRedirected,
            _ => throw new FormatException("HCPMODELFS_LOG_FORMAT must be text or json"),
        };

        var configuration = new LoggerConfiguration().MinimumLevel.Is(minimum).Enrich.FromLogContext();
        configuration = json
            ? configuration.WriteTo.Console(new JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose)
            : configuration.WriteTo.Console(
                outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(file))
        {
            configuration = configuration.WriteTo.File(
                new JsonFormatter(renderMessage: true), file,
                fileSizeLimitBytes: fileMaxBytes, rollOnFileSizeLimit: true, retainedFileCountLimit: retainedFiles);
        }

        return new SerilogLoggerFactory(configuration.CreateLogger(), dispose: true);
    }
}
