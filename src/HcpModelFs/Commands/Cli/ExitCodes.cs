namespace HcpModelFs.Commands.Cli;

/// <summary>The exit codes every command uses (docs/COMMANDS.md). Scripts and init containers branch on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran and something failed: unreachable store, a model that failed, a check that did not pass.</summary>
    public const int Failed = 1;

    /// <summary>The command line or the configuration is wrong; nothing was attempted.</summary>
    public const int BadUsage = 2;

    /// <summary>SIGINT/SIGTERM ended the command (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
