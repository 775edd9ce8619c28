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
}
