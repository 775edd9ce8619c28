using System.CommandLine;

namespace HcpModelFs.Commands;

/// <summary>Options of the root command that every subcommand accepts (recursive).</summary>
internal static class GlobalOptions
{
    public static Option<string?> EnvFile { get; } = new("--env-file")
    {
        Description = "A .env file read before the environment (default: ./.env if present)",
        DefaultValueFactory = _ => ".env",
        Recursive = true,
    };

    public static Option<string?> Config { get; } = new("--config")
    {
        Description = "YAML config file, below .env and the environment (HCPMODELFS_CONFIG; default /etc/hcpmodelfs/config.yaml if present)",
        Recursive = true,
    };

    public static Option<string?> LogFormat { get; } = CreateLogFormat();

    public static Option<string?> LogLevel { get; } = new("--log-level")
    {
        Description = "Verbose, Debug, Information, Warning, Error or Fatal (HCPMODELFS_LOG_LEVEL)",
        Recursive = true,
    };

    /// <summary>The global flags as the variables they set: the flag layer, under a command's own flags.</summary>
    public static Dictionary<string, string> Flags(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(LogFormat) is { } format)
        {
            flags["HCPMODELFS_LOG_FORMAT"] = format;
        }

        if (parse.GetValue(LogLevel) is { } level)
        {
            flags["HCPMODELFS_LOG_LEVEL"] = level;
        }

        return flags;
    }

    private static Option<string?> CreateLogFormat()
    {
        var option = new Option<string?>("--log-format")
        {
            Description = "text or json log lines on stderr (HCPMODELFS_LOG_FORMAT; default text on a terminal, JSON otherwise)",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }
}
