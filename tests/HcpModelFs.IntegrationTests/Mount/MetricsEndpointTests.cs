using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>
/// The operator's surface of a real `hcpmodelfs mount` over Ceph RGW (through the fault proxy): /metrics checked by
/// promtool and against what a read did, /healthz, /readyz following the store, `off`, and how a store outage during
/// reads shows in the log. Each test publishes its own model under its own prefix.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed partial class MetricsEndpointTests : IAsyncLifetime
{
    private const int BlockSize = 4 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private readonly RgwFixture _rgw;
    private readonly MountTestScratch _scratch;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private S3FaultProxy? _proxy;
    private PublishedModel? _model;

    public MetricsEndpointTests(RgwFixture rgw)
    {
        _rgw = rgw;
        _scratch = new MountTestScratch(rgw, $"metrics-{Guid.NewGuid():N}/");
    }

    private S3FaultProxy Proxy => _proxy!;

    private PublishedModel Model => _model!;

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync);
        using var store = _rgw.CreateStore();
        _model = await PublishedModel.PublishAsync(store, _scratch.Prefix);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _model?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Reading_a_file_moves_the_cache_store_and_FUSE_READ_counters_by_its_size_and_the_text_passes_promtool()
    {
        await using var daemon = await StartAsync(new() { ["HCPMODELFS_METRICS_LISTEN"] = "127.0.0.1:0" });
        var metrics = await MetricsAddressAsync(daemon);
        var (path, size, _) = Model.Files[1];
        var file = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);
        // The lookup reads the manifest from the store: done first, so the scrapes bracket the file's bytes alone.
        Assert.Equal(0, (await ProcessRunner.RunAsync("stat", file)).ExitCode);
        var before = await ScrapeAsync(metrics);

        var read = await ProcessRunner.ShellAsync($"cat '{file}' | wc -c", TimeSpan.FromMinutes(2));
        Assert.Equal(size.ToString(CultureInfo.InvariantCulture), read.StandardOutput.Trim());
        var after = await ScrapeAsync(metrics);

        var blocks = (size + BlockSize - 1) / BlockSize;
        Assert.Equal(size, Delta(before, after, "hcpmodelfs_store_bytes_read_total"));
        Assert.Equal(blocks, Delta(before, after, "hcpmodelfs_cache_fetches_total"));
        Assert.Equal(size, Delta(before, after, "hcpmodelfs_cache_hit_bytes_total") + Delta(before, after, "hcpmodelfs_cache_miss_bytes_total"));
        Assert.InRange(Delta(before, after, "hcpmodelfs_cache_misses_total"), blocks, long.MaxValue);
        var reads = Delta(before, after, "hcpmodelfs_fuse_requests_total", "opcode=\"read\"");
        Assert.InRange(reads, 1, long.MaxValue);
        Assert.Equal(reads, Delta(before, after, "hcpmodelfs_fuse_duration_seconds_count", "opcode=\"read\""));
        Assert.Equal(0, Delta(before, after, "hcpmodelfs_fuse_errors_total", "opcode=\"read\""));
        Assert.Contains("hcpmodelfs_store_reads_in_flight{", after, StringComparison.Ordinal);
        Assert.Equal(0, Sum(after, "hcpmodelfs_store_reads_in_flight"));
        Assert.Contains("hcpmodelfs_store_circuit_state{", before, StringComparison.Ordinal);
        Assert.Equal(0, Sum(after, "hcpmodelfs_store_circuit_state"));
        Assert.Contains("process_cpu_seconds_total ", after, StringComparison.Ordinal);

        var text = Path.Combine(_scratch.NewDirectory("scrape"), "metrics.txt");
        await File.WriteAllTextAsync(text, after);
        var check = await ProcessRunner.ShellAsync($"promtool check metrics < '{text}' 2>&1");
        Assert.True(check.ExitCode == 0, "promtool check metrics: " + check.StandardOutput);
    }

    [Fact]
    public async Task Healthz_answers_200_and_readyz_follows_the_store_200_503_200()
    {
        await using var daemon = await StartAsync(new() { ["HCPMODELFS_METRICS_LISTEN"] = "127.0.0.1:0" });
        var metrics = await MetricsAddressAsync(daemon);

        using (var health = await _http.GetAsync(new Uri(metrics, "healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        Assert.Equal((HttpStatusCode.OK, "ready"), await GetAsync(new Uri(metrics, "readyz")));

        Proxy.AddRule(new FaultRule(FaultKind.InternalError));
        var (status, reason) = await GetAsync(new Uri(metrics, "readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("store ", reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reason);
        using (var health = await _http.GetAsync(new Uri(metrics, "healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        Proxy.ClearRules();
        // Bounded: the probe's retries of the failed attempt may still be backing off when the rule goes.
        var deadline = Stopwatch.StartNew();
        while ((status, reason) != (HttpStatusCode.OK, "ready") && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            (status, reason) = await GetAsync(new Uri(metrics, "readyz"));
        }

        Assert.Equal((HttpStatusCode.OK, "ready"), (status, reason));
    }

    [Fact]
    public async Task Metrics_listen_off_opens_no_listening_socket()
    {
        await using var daemon = await StartAsync(new() { ["HCPMODELFS_METRICS_LISTEN"] = "off" });

        var sockets = await ProcessRunner.ShellAsync($"ss -Hltnp | grep 'pid={daemon.Process.Id},' || true");
        Assert.Equal(string.Empty, sockets.StandardOutput.Trim());
        Assert.DoesNotContain("Metrics on", daemon.Process.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_outage_during_reads_logs_a_start_line_summaries_and_a_recovery_not_a_line_per_read()
    {
        await using var daemon = await StartAsync(new()
        {
            ["HCPMODELFS_LOG_REPEAT_INTERVAL"] = "1",
            ["HCP_MAX_RETRIES"] = "1",
            ["HCPMODELFS_PASSTHROUGH"] = "off",
        });
        var (path, size, _) = Model.Files[1];
        var file = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);
        Assert.Equal(0, (await ProcessRunner.RunAsync("stat", file)).ExitCode);
        var key = _scratch.Prefix + $"{PublishedModel.Org}/{PublishedModel.Name}/{Model.Manifest.Commit}/{path}";
        Proxy.AddRule(new FaultRule(FaultKind.InternalError) { Match = r => FaultRule.DataGet(r) && r.Key == key });

        // Reads over more than three summary intervals, each of a different 64 KiB piece: every one fails with EIO.
        var failed = 0;
        var elapsed = Stopwatch.StartNew();
        for (var i = 0; i < 400 && (failed < 20 || elapsed.Elapsed < TimeSpan.FromSeconds(3.5)); i++)
        {
            var dd = await ProcessRunner.RunAsync("dd", [$"if={file}", "of=/dev/null", "bs=64k", "count=1", $"skip={i % (size / 65536)}"], TimeSpan.FromSeconds(60));
            Assert.True(dd.ExitCode != 0, "a read succeeded during the outage: " + dd);
            failed++;
        }

        Proxy.ClearRules();
        // The circuit stays open for its break duration (5 s): retry, bounded, until a read gets through.
        var recovered = false;
        var retrying = Stopwatch.StartNew();
        while (!recovered && retrying.Elapsed < TimeSpan.FromSeconds(30))
        {
            recovered = (await ProcessRunner.RunAsync("dd", [$"if={file}", "of=/dev/null", "bs=64k", "count=1"], TimeSpan.FromSeconds(60))).ExitCode == 0;
            if (!recovered)
            {
                await Task.Delay(200);
            }
        }

        Assert.True(recovered, "reads did not recover after the outage ended\n" + daemon.Process.StandardError);
        var log = await WaitForLogAsync(daemon, "read recovered");
        var lines = log.Split('\n');
        var startLines = lines.Count(l => l.Contains("read failed for", StringComparison.Ordinal));
        var summaries = lines.Count(l => l.Contains("read still failing", StringComparison.Ordinal));
        var warnings = lines.Count(l => l.Contains(" WRN ", StringComparison.Ordinal) || l.Contains(" ERR ", StringComparison.Ordinal));
        Assert.True(startLines is >= 1 and <= 3, $"{startLines} start lines for {failed} failed reads:\n{log}");
        Assert.True(summaries >= 1, "no summary line:\n" + log);
        Assert.True(warnings <= failed / 2, $"{warnings} warning lines for {failed} failed reads:\n{log}");
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
    }

    private async Task<ModelFsDaemon> StartAsync(Dictionary<string, string> extra)
    {
        var env = _rgw.StoreEnvironment(Proxy.Endpoint, _scratch.Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = _scratch.NewDirectory("cache"),
            ["HCPMODELFS_BLOCK_SIZE"] = "4MiB",
            ["HCPMODELFS_HUB_INGEST"] = "off",
        });
        foreach (var (k, v) in extra)
        {
            env[k] = v;
        }

        return await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), env);
    }

    /// <summary>The endpoint's address from its start line (port 0 asked for, so the log says which).</summary>
    private static async Task<Uri> MetricsAddressAsync(ModelFsDaemon daemon)
    {
        var line = await WaitForLogAsync(daemon, "Metrics on http://");
        return new Uri(MetricsLine().Match(line).Groups[1].Value);
    }

    /// <summary>The daemon's stderr once it contains <paramref name="text"/>; bounded (stderr is read asynchronously).</summary>
    private static async Task<string> WaitForLogAsync(ModelFsDaemon daemon, string text)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var log = daemon.Process.StandardError;
            if (log.Contains(text, StringComparison.Ordinal))
            {
                return log;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(20) || daemon.Process.HasExited)
            {
                throw new TimeoutException($"'{text}' not in the daemon's log:\n{log}");
            }

            await Task.Delay(50);
        }
    }

    private async Task<string> ScrapeAsync(Uri metrics)
    {
        using var response = await _http.GetAsync(new Uri(metrics, "metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri uri)
    {
        using var response = await _http.GetAsync(uri);
        return (response.StatusCode, (await response.Content.ReadAsStringAsync()).TrimEnd('\n'));
    }

    private static long Delta(string before, string after, string metric, string labels = "") =>
        Sum(after, metric, labels) - Sum(before, metric, labels);

    /// <summary>The sum of every series of <paramref name="metric"/> whose labels contain <paramref name="labels"/>.</summary>
    private static long Sum(string text, string metric, string labels = "")
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(metric, StringComparison.Ordinal) && line.Length > metric.Length && line[metric.Length] is ' ' or '{'
                && line.Contains(labels, StringComparison.Ordinal))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return (long)sum;
    }

    [GeneratedRegex(@"Metrics on (http://\S+?/)metrics")]
    private static partial Regex MetricsLine();
}
