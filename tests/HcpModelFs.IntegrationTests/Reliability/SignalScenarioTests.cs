using System.Diagnostics;
using System.Globalization;
using HcpModelFs.Fuse.Mounting;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 7, unmount and signals under load: SIGTERM reaches the daemon while 8 mmap readers (and one process
/// of read(2) threads) are blocked on cold pages behind store latency. The daemon exits and the mount is gone within
/// 10 s; every reader ends with an error (SIGBUS or EIO/ENOTCONN, never a wrong byte, never success) within a bound,
/// not a hang; and the next mount on the same path serves the same bytes.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
public sealed class SignalScenarioTests(RgwFixture rgw)
{
    private const int MmapReaders = 8;
    private const int SigTerm = 15;
    private const int SigStop = 19;
    private const int SigCont = 18;
    private static readonly TimeSpan UnmountBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReaderBound = TimeSpan.FromSeconds(15);

    // Long enough that no block can arrive between the readers' first faults and the signal.
    private static readonly TimeSpan StoreLatency = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Sigterm_with_mmap_readers_blocked_on_cold_pages_unmounts_within_10_s_readers_get_errors_and_the_next_mount_works()
    {
        await using var scenario = await LoadScenario.PublishAsync(rgw, "sigterm", 64L << 20, 32L << 20);
        var mountPoint = scenario.Scratch.NewDirectory("mnt");
        var outcome = await SigtermUnderLoadAsync(scenario, mountPoint, daemonIgnoresSignal: false);
        Assert.True(outcome.Failures.Count == 0, string.Join('\n', outcome.Failures));

        scenario.Proxy.ClearRules();
        await using var again = await scenario.StartDaemonAsync(mountPoint, []);
        var check = scenario.StartMmapReader(LoadScenario.FileIn(again, LoadScenario.MmapShard));
        Assert.True(await check.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the reader on the new mount did not finish");
        Assert.True(check.ExitCode == 0, check.StandardOutput + check.StandardError);
        var verified = LoadScenario.ParseOk(check.StandardOutput.Split('\n').Single(l => l.StartsWith("OK ", StringComparison.Ordinal))).Bytes;
        var digest = await ProcessRunner.RunAsync("sha256sum", [LoadScenario.FileIn(again, LoadScenario.ReadShard)], TimeSpan.FromSeconds(60));
        Assert.Equal(scenario.Model.Sha256(LoadScenario.ReadShard), digest.StandardOutput[..64]);

        ReliabilityRecord.Add(new ReliabilityRow(
            "7.sigterm-under-load",
            $"SIGTERM with {MmapReaders} mmap readers + 4 read threads blocked behind {StoreLatency.TotalSeconds} s store latency; remount same path",
            outcome.Readers,
            outcome.FaultsInjected,
            verified + (32L << 20),
            0,
            outcome.WorstReaderExit,
            string.Create(CultureInfo.InvariantCulture,
                $"daemon exit {outcome.DaemonExit.TotalSeconds:F1} s (bound {UnmountBound.TotalSeconds} s), readers ended by {outcome.Endings}; bound {ReaderBound.TotalSeconds} s")));
    }

    /// <summary>
    /// The guard, shown to catch its absence: a daemon that does not act on SIGTERM (stopped with SIGSTOP before the
    /// signal, so the signal stays pending) leaves the readers hanging; the same checker reports the daemon and every
    /// reader past their bounds, and returns within them. Then the daemon is let go and shuts down.
    /// </summary>
    [Fact]
    public async Task Checker_reports_a_daemon_that_ignores_SIGTERM_and_its_hanging_readers_within_the_bounds()
    {
        await using var scenario = await LoadScenario.PublishAsync(rgw, "sigstop", 16L << 20, 8L << 20);
        var clock = Stopwatch.StartNew();
        var outcome = await SigtermUnderLoadAsync(scenario, scenario.Scratch.NewDirectory("mnt"), daemonIgnoresSignal: true);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, ReaderBound + UnmountBound + TimeSpan.FromSeconds(30));
        Assert.Contains(outcome.Failures, f => f.StartsWith("daemon still running", StringComparison.Ordinal));
        Assert.Equal(outcome.Readers, outcome.Failures.Count(f => f.Contains("still running after", StringComparison.Ordinal) && f.StartsWith("reader", StringComparison.Ordinal)));
    }

    private static async Task<SigtermOutcome> SigtermUnderLoadAsync(LoadScenario scenario, string mountPoint, bool daemonIgnoresSignal)
    {
        var failures = new List<string>();
        await using var daemon = await scenario.StartDaemonAsync(mountPoint, new() { ["HCPMODELFS_BLOCK_SIZE"] = "4MiB" });
        var mmapFile = LoadScenario.FileIn(daemon, LoadScenario.MmapShard);
        var readFile = LoadScenario.FileIn(daemon, LoadScenario.ReadShard);
        Assert.Equal(0, (await ProcessRunner.RunAsync("stat", [mmapFile, readFile])).ExitCode);
        scenario.Proxy.ClearLog();
        scenario.Proxy.AddRule(new FaultRule(FaultKind.Latency) { Match = FaultRule.DataGet, Delay = StoreLatency });

        var readers = Enumerable.Range(0, MmapReaders).Select(_ => scenario.StartMmapReader(mmapFile))
            .Append(scenario.StartRangeReader(readFile, 4, 1 << 20)).ToList();
        foreach (var reader in readers)
        {
            await reader.WaitForLineAsync(reader == readers[^1] ? "OPENED" : "MAPPED", TimeSpan.FromSeconds(30));
        }

        // Both shards asked of the store: faults of both kinds are waiting behind the latency now.
        foreach (var key in new[] { scenario.Key(LoadScenario.MmapShard), scenario.Key(LoadScenario.ReadShard) })
        {
            await scenario.Proxy.WaitForRequestAsync(r => FaultRule.DataGet(r) && r.Key == key, TimeSpan.FromSeconds(30));
        }

        Assert.All(readers, r => Assert.False(r.HasExited, "a reader ended before the signal: " + r.StandardOutput + r.StandardError));
        if (daemonIgnoresSignal)
        {
            daemon.Process.Signal(SigStop);
        }

        var sinceSignal = Stopwatch.StartNew();
        daemon.Process.Signal(SigTerm);
        var daemonExited = await daemon.Process.WaitForExitAsync(UnmountBound);
        var daemonExit = sinceSignal.Elapsed;
        if (!daemonExited)
        {
            failures.Add($"daemon still running {UnmountBound} after SIGTERM");
        }
        else if (MountTable.Find(mountPoint) is not null)
        {
            failures.Add($"{mountPoint} still mounted after the daemon exited");
        }
        else if (daemon.Process.ExitCode != 0 || daemon.Process.StandardError.Split('\n').Any(l => l.Contains(" ERR ", StringComparison.Ordinal) || l.StartsWith("   at ", StringComparison.Ordinal)))
        {
            failures.Add($"the daemon's shutdown was not clean (exit {daemon.Process.ExitCode}):\n{daemon.Process.StandardError}");
        }

        var endings = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var worst = TimeSpan.Zero;
        foreach (var reader in readers)
        {
            if (!await LoadScenario.WaitExitAsync(reader, sinceSignal, ReaderBound))
            {
                failures.Add($"reader {reader.Id} still running after {ReaderBound}: a hang");
                continue;
            }

            worst = TimeSpan.FromTicks(Math.Max(worst.Ticks, sinceSignal.Elapsed.Ticks));
            var output = reader.StandardOutput;
            if (reader.ExitCode == 0 || output.Contains("OK ", StringComparison.Ordinal) || output.Contains("MISMATCH", StringComparison.Ordinal))
            {
                failures.Add($"reader {reader.Id} did not end with an error: exit {reader.ExitCode} {output.Trim()}");
            }

            var ending = Ending(reader);
            endings[ending] = endings.GetValueOrDefault(ending) + 1;
        }

        if (daemonIgnoresSignal)
        {
            daemon.Process.Signal(SigCont); // the pending SIGTERM is handled now; disposal waits for the exit
        }
        else if (!daemonExited)
        {
            var late = await daemon.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            failures.Add($"daemon {(late ? "exited" : "still running")} {sinceSignal.Elapsed} after SIGTERM; its log:\n{daemon.Process.StandardError}");
        }

        return new SigtermOutcome(failures, readers.Count, scenario.Proxy.Count(r => r.Fault == FaultKind.Latency), daemonExit, worst,
            string.Join(", ", endings.Select(e => $"{e.Key} x{e.Value}")));
    }

    /// <summary>How a reader ended, in a word: the signal that killed it, or the errno its error names.</summary>
    private static string Ending(DaemonProcess reader)
    {
        var stderr = reader.StandardError;

        // The .NET runtime turns a SIGBUS in managed code into a fatal AccessViolationException and aborts.
        if (stderr.Contains("AccessViolationException", StringComparison.Ordinal))
        {
            return "SIGBUS";
        }

        foreach (var errno in new[] { "ENOTCONN", "ECONNABORTED", "EIO", "EINTR" })
        {
            if (stderr.Contains(errno, StringComparison.Ordinal))
            {
                return errno;
            }
        }

        if (stderr.Contains("Transport endpoint is not connected", StringComparison.Ordinal))
        {
            return "ENOTCONN";
        }

        if (stderr.Contains("Input/output error", StringComparison.Ordinal))
        {
            return "EIO";
        }

        return reader.ExitCode > 128 ? "signal " + (reader.ExitCode - 128).ToString(CultureInfo.InvariantCulture) : "exit " + reader.ExitCode.ToString(CultureInfo.InvariantCulture);
    }

    private sealed record SigtermOutcome(
        IReadOnlyList<string> Failures, int Readers, long FaultsInjected, TimeSpan DaemonExit, TimeSpan WorstReaderExit, string Endings);
}
