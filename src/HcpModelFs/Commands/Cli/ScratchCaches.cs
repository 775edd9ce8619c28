using System.Globalization;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Commands.Cli;

/// <summary>
/// The throwaway block caches `prefetch` and `refresh` run on, <c>&lt;cache dir&gt;/&lt;verb&gt;-&lt;pid&gt;</c>. A run removes
/// its own when it ends; one killed (SIGKILL, OOM) cannot, so each run first removes those of dead runs. Whether a run
/// is dead is told by its scratch cache's flock (the kernel drops it with the process), not by its pid, which the
/// kernel may have handed to another process since.
/// </summary>
internal static class ScratchCaches
{
    private static readonly string[] Verbs = ["prefetch", "refresh"];

    /// <summary>Removes stale scratch caches below <paramref name="cacheDirectory"/>, then names this run's.</summary>
    public static string Claim(string cacheDirectory, string verb)
    {
        RemoveStale(cacheDirectory);
        return Path.Combine(cacheDirectory, verb + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    }

    private static void RemoveStale(string cacheDirectory)
    {
        if (!Directory.Exists(cacheDirectory))
        {
            return;
        }

        foreach (var verb in Verbs)
        {
            foreach (var dir in Directory.EnumerateDirectories(cacheDirectory, verb + "-*"))
            {
                if (!int.TryParse(Path.GetFileName(dir).AsSpan(verb.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    continue;
                }

                try
                {
                    // Held: a live run owns it. Free: its owner died; it is deleted under the lock.
                    using var claim = CacheDirectoryLock.TryAcquire(dir, out _);
                    if (claim is not null)
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Best effort: a scratch cache that cannot be removed now is tried again by the next run.
                }
            }
        }
    }
}
