using System.Globalization;

namespace HcpModelFs.IntegrationTests.Soak;

/// <summary>A process's resident memory, open file descriptors and threads, read from /proc/PID.</summary>
internal sealed record ProcessSample(TimeSpan At, long RssBytes, int OpenFds, int Threads)
{
    public static ProcessSample Read(int pid, TimeSpan at)
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return new ProcessSample(at, rss, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length, threads);
    }
}
