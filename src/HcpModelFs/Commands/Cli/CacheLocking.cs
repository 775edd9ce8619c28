using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Commands.Cli;

/// <summary>The cache directory lock for commands that change a cache offline, with the one-line refusal when a daemon holds it.</summary>
internal static class CacheLocking
{
    public static CacheDirectoryLock? TryAcquire(CliOutput output, DaemonSettings settings, out int refusal)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        refusal = ExitCodes.Ok;
        var directoryLock = CacheDirectoryLock.TryAcquire(settings.CacheDirectory, out var holder);
        if (directoryLock is null)
        {
            refusal = output.Fail(CacheDirectoryLock.DescribeHeld(settings.CacheDirectory, holder) + "; stop it first (a running daemon owns its cache)");
        }

        return directoryLock;
    }
}
