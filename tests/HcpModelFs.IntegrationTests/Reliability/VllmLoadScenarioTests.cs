using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 3, vLLM-style load: N processes mmapping one shard and touching it page by page in offset order, plus
/// M threads (in one more process) reading another shard in contiguous ranges, on a real mount over RGW with latency
/// injected at the store and the kernel's max_background set low so the readers saturate it. All finish, every byte
/// is compared, no READ (daemon histogram) and no page fault or read (reader clocks) exceeds the bound, the store
/// serves each byte of both shards once, the daemon's peak RSS stays within design §9's 256 MiB, and the kernel queue
/// was saturated (fusectl's waiting count above max_background). Sizes: <see cref="VllmLoadSize"/>.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
public sealed partial class VllmLoadScenarioTests(RgwFixture rgw)
{
    private const long RssBound = 256L << 20;
    private const int BlockSize = 8 << 20;

    [Fact]
    public async Task Mmap_processes_and_range_threads_under_store_latency_finish_byte_exact_fetching_each_block_once()
    {
        var size = VllmLoadSize.FromEnvironment();
        await using var scenario = await LoadScenario.PublishAsync(rgw, "vllm", size.MmapShardBytes, size.ReadShardBytes);
        await using var daemon = await scenario.StartDaemonAsync(scenario.Scratch.NewDirectory("mnt"), new()
        {
            ["HCPMODELFS_BLOCK_SIZE"] = "8MiB",
            ["HCPMODELFS_FUSE_MAX_BACKGROUND"] = size.MaxBackground.ToString(CultureInfo.InvariantCulture),
            ["HCPMODELFS_METRICS_LISTEN"] = "127.0.0.1:0",
        });
        var connection = await LoadScenario.ConnectionDirectoryAsync(daemon.MountPoint);
        Assert.Equal(size.MaxBackground, LoadScenario.ReadNumber(Path.Combine(connection, "max_background")));
        var mmapFile = LoadScenario.FileIn(daemon, LoadScenario.MmapShard);
        var readFile = LoadScenario.FileIn(daemon, LoadScenario.ReadShard);
        // Names resolved (the manifest read) before the latency and the log start: the log then holds data GETs alone.
        Assert.Equal(0, (await ProcessRunner.RunAsync("stat", [mmapFile, readFile])).ExitCode);
        scenario.Proxy.ClearLog();
        scenario.Proxy.AddRule(new FaultRule(FaultKind.Latency) { Match = FaultRule.DataGet, Delay = size.StoreLatency });

        var clock = Stopwatch.StartNew();
        var readers = Enumerable.Range(0, size.MmapProcesses).Select(_ => scenario.StartMmapReader(mmapFile))
            .Append(scenario.StartRangeReader(readFile, size.ReadThreads, 2 << 20)).ToList();
        using var sampling = new CancellationTokenSource();
        var maxWaiting = SampleMaxAsync(Path.Combine(connection, "waiting"), sampling.Token);
        var failures = new List<string>();
        long bytes = 0, operations = 0;
        double worstMs = 0;
        foreach (var reader in readers)
        {
            if (!await LoadScenario.WaitExitAsync(reader, clock, size.Deadline))
            {
                failures.Add($"reader {reader.Id} still running after {size.Deadline}: a hang");
                continue;
            }

            var ok = reader.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("OK ", StringComparison.Ordinal));
            if (reader.ExitCode != 0 || ok is null)
            {
                failures.Add($"reader {reader.Id} exit {reader.ExitCode}: {reader.StandardOutput.Trim()} {reader.StandardError.Trim()}");
                continue;
            }

            var (b, ops, worst) = LoadScenario.ParseOk(ok);
            bytes += b;
            operations += ops;
            worstMs = Math.Max(worstMs, worst);
        }

        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        var waiting = await maxWaiting;
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\ndaemon log:\n" + daemon.Process.StandardError);
        Assert.Equal(size.MmapProcesses * size.MmapShardBytes + size.ReadShardBytes, bytes);
        Assert.True(worstMs < size.ReadLimit.TotalMilliseconds, $"worst page fault or read took {worstMs} ms (bound {size.ReadLimit})");

        var metrics = await ScrapeAsync(daemon);
        var readCount = Sample(metrics, "hcpmodelfs_fuse_duration_seconds_count", "opcode=\"read\"");
        var withinLimit = Sample(metrics, "hcpmodelfs_fuse_duration_seconds_bucket", "opcode=\"read\"", $"le=\"{size.ReadLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture)}\"");
        Assert.True(readCount > 0, "no READ reached the daemon");
        Assert.True(withinLimit == readCount, $"{readCount - withinLimit} of {readCount} READs took longer than {size.ReadLimit}");

        var gets = scenario.Proxy.Requests.Where(r => FaultRule.DataGet(r) && r.Status is 200 or 206 && r.Key is not null)
            .Select(r => (r.Key!, r.Range)).ToList();
        var fetchFailures = FetchOnceCheck.Failures(gets, new Dictionary<string, long>(StringComparer.Ordinal)
        {
            [scenario.Key(LoadScenario.MmapShard)] = size.MmapShardBytes,
            [scenario.Key(LoadScenario.ReadShard)] = size.ReadShardBytes,
        });
        Assert.True(fetchFailures.Count == 0, string.Join('\n', fetchFailures));

        var rss = LoadScenario.PeakRss(daemon.Process.Id);
        Assert.True(rss <= RssBound, $"daemon peak RSS {rss >> 20} MiB > {RssBound >> 20} MiB");
        Assert.True(waiting > size.MaxBackground, $"the kernel queue never exceeded max_background ({waiting} <= {size.MaxBackground}): not saturated");

        ReliabilityRecord.Add(new ReliabilityRow(
            "3.vllm-load",
            $"{size.MmapProcesses} procs mmap {size.MmapShardBytes >> 20} MiB + {size.ReadThreads} threads read {size.ReadShardBytes >> 20} MiB, " +
            $"{size.StoreLatency.TotalMilliseconds} ms store latency, max_background {size.MaxBackground}",
            operations,
            scenario.Proxy.Count(r => r.Fault == FaultKind.Latency),
            bytes,
            0,
            TimeSpan.FromMilliseconds(worstMs),
            string.Create(CultureInfo.InvariantCulture,
                $"{gets.Count} data GETs, each byte once; peak RSS {rss >> 20} MiB; kernel queue peak {waiting}; {readCount} READs ≤ {size.ReadLimit.TotalSeconds} s; {elapsed.TotalSeconds:F1} s")));
    }

    [Fact]
    public void Fetch_once_check_counts_a_block_fetched_twice_an_overlap_and_a_block_never_fetched()
    {
        const long Size = (3L * BlockSize) + 100;
        var files = new Dictionary<string, long>(StringComparer.Ordinal) { ["k"] = Size };
        (string, string?)[] once = [("k", "bytes=0-8388607"), ("k", "bytes=8388608-16777215"), ("k", "bytes=16777216-25165823"), ("k", "bytes=25165824-25165923"), ("other", "bytes=0-1")];
        Assert.Empty(FetchOnceCheck.Failures(once, files));

        Assert.Single(FetchOnceCheck.Failures([.. once, ("k", "bytes=8388608-16777215")], files));
        Assert.NotEmpty(FetchOnceCheck.Failures([.. once, ("k", null)], files));
        Assert.Single(FetchOnceCheck.Failures([.. once, ("k", "bytes=100-199")], files));
        Assert.Single(FetchOnceCheck.Failures(once.Where(g => g.Item2 != "bytes=8388608-16777215"), files));
        Assert.Single(FetchOnceCheck.Failures(once[..3], files));
        Assert.Single(FetchOnceCheck.Failures([.. once, ("k", "bytes=garbage")], files));
    }

    /// <summary>Highest value a fusectl counter shows while the load runs (a measurement, sampled until cancelled).</summary>
    private static async Task<int> SampleMaxAsync(string path, CancellationToken token)
    {
        var max = 0;
        while (!token.IsCancellationRequested)
        {
            max = Math.Max(max, LoadScenario.ReadNumber(path));
            await Task.Delay(2, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return max;
    }

    private static async Task<string> ScrapeAsync(Testing.Fuse.ModelFsDaemon daemon)
    {
        var deadline = Stopwatch.StartNew();
        string? line;
        while ((line = daemon.Process.StandardError.Split('\n').FirstOrDefault(l => l.Contains("Metrics on http://", StringComparison.Ordinal))) is null)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20) && !daemon.Process.HasExited, "no metrics address in the log");
            await Task.Delay(50);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync(new Uri(new Uri(MetricsLine().Match(line).Groups[1].Value), "metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of the samples of <paramref name="metric"/> whose labels contain all of <paramref name="labels"/>.</summary>
    private static long Sample(string text, string metric, params string[] labels) =>
        (long)text.Split('\n')
            .Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Length > metric.Length && l[metric.Length] is ' ' or '{'
                && labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    [GeneratedRegex(@"Metrics on (http://\S+?/)metrics")]
    private static partial Regex MetricsLine();
}
