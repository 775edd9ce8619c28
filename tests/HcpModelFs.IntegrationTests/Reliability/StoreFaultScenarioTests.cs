using System.Diagnostics;
using System.Globalization;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 1: the real daemon reads a published model through the fault proxy while the store misbehaves, and
/// every byte read through the mount must equal the published bytes; a store that goes away fails waiting READs with
/// EIO within 10 s, and reads work again without a remount once it is back.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class StoreFaultScenarioTests : IAsyncLifetime
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly RgwFixture _rgw;
    private FaultyStoreMount? _mount;

    public StoreFaultScenarioTests(RgwFixture rgw)
    {
        _rgw = rgw;
    }

    private FaultyStoreMount Mount => _mount!;

    public async Task InitializeAsync() => _mount = await FaultyStoreMount.CreateAsync(_rgw, "faults");

    public async Task DisposeAsync()
    {
        if (_mount is not null)
        {
            await _mount.DisposeAsync();
        }
    }

    /// <summary>The fault of each row, on data GETs; seeded, so a run repeats.</summary>
    public static TheoryData<string> Faults => ["resets", "slowdown", "truncated", "error-in-ok", "latency", "stall"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Every_byte_read_through_the_mount_is_correct_under_store_faults(string fault)
    {
        var (rule, description, extra) = fault switch
        {
            "resets" => (new FaultRule(FaultKind.ResetMidBody) { Match = FaultRule.DataGet, Probability = 0.05, AfterBytes = 200_000 },
                "5 % of data GETs reset (RST) after 200 KB of body", (Dictionary<string, string>?)null),
            "slowdown" => (new FaultRule(FaultKind.SlowDown) { Match = FaultRule.DataGet, Probability = 0.1, WithRetryAfter = true, RetryAfterSeconds = 1 },
                "10 % of data GETs answered 503 SlowDown with Retry-After: 1", null),
            "truncated" => (new FaultRule(FaultKind.TruncateBody) { Match = FaultRule.DataGet, Probability = 0.1, AfterBytes = 300_000 },
                "10 % of data GETs closed (FIN) after 300 KB of a longer Content-Length", null),
            "error-in-ok" => (new FaultRule(FaultKind.ErrorInOk) { Match = FaultRule.DataGet, Probability = 0.1 },
                "10 % of data GETs answered 200 OK with an S3 error document as the body", null),
            "latency" => (new FaultRule(FaultKind.Latency) { Match = FaultRule.DataGet, Probability = 0.1, Delay = TimeSpan.FromSeconds(2) },
                "10 % of data GETs delayed 2 s", null),
            "stall" => (new FaultRule(FaultKind.Stall) { Match = FaultRule.DataGet, Times = 2, AfterBytes = 100_000, Delay = TimeSpan.FromSeconds(30) },
                "2 data GETs stall after 100 KB (30 s of nothing, then RST)",
                new Dictionary<string, string> { ["HCP_ATTEMPT_TIMEOUT_SECONDS"] = "2" }),
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        await using var daemon = await Mount.StartAsync(extra);
        Mount.Proxy.ClearLog();
        Mount.Proxy.AddRule(rule);

        var clock = Stopwatch.StartNew();
        var verified = await Mount.VerifyEveryFileAsync(daemon, Bounded);
        clock.Stop();

        var gets = Mount.Proxy.Count(FaultRule.DataGet);
        var fired = Mount.Proxy.Count(r => FaultRule.DataGet(r) && r.Fault == rule.Kind);
        Assert.True(fired >= 1, $"the fault never fired in {gets} data GETs: the scenario tested nothing");
        Assert.False(daemon.Process.HasExited, "the daemon died:\n" + daemon.Process.StandardError);
        ReliabilityRecord.Add(new ReliabilityRow(
            "1.store-" + fault, description, gets, fired, verified, 0, null,
            string.Create(CultureInfo.InvariantCulture, $"whole model (sha256) in {clock.Elapsed.TotalSeconds:0.0} s; 1 MiB blocks{(extra is null ? string.Empty : "; attempt timeout 2 s")}")));
    }

    [Fact]
    public async Task Store_down_fails_every_waiting_read_with_EIO_within_10_s_and_reads_recover_without_a_remount()
    {
        // Default retries and timeouts: what an operator gets.
        await using var daemon = await Mount.StartAsync();
        var files = Mount.Model.Files.Where(f => f.Size >= 1 << 20).ToList();
        // The readers' GETs are held at the proxy, so the READs are waiting when the store goes.
        Mount.Proxy.ClearLog();
        Mount.Proxy.AddRule(new FaultRule(FaultKind.Latency) { Match = FaultRule.DataGet, Delay = TimeSpan.FromSeconds(20) });
        var readers = files.Select(f => Task.Run(async () =>
        {
            var result = await ProcessRunner.RunAsync("dd", [$"if={FaultyStoreMount.PathIn(daemon, f.Path)}", "of=/dev/null", "bs=1M", "count=2"], Bounded);
            return (Result: result, Ended: Stopwatch.GetTimestamp());
        })).ToList();
        Assert.True(await FaultyStoreMount.EventuallyAsync(() => Mount.Proxy.Count(FaultRule.DataGet) >= files.Count, TimeSpan.FromSeconds(30)),
            "the readers' GETs never reached the store");

        var down = Stopwatch.GetTimestamp();
        Mount.Proxy.SetDown(true);
        var worst = TimeSpan.Zero;
        foreach (var reader in readers)
        {
            var (result, ended) = await reader;
            Assert.True(result.ExitCode != 0, "a read succeeded with the store down: " + result);
            Assert.Contains("Input/output error", result.StandardError, StringComparison.Ordinal);
            var waited = Stopwatch.GetElapsedTime(down, ended);
            worst = waited > worst ? waited : worst;
        }

        Assert.True(worst < TimeSpan.FromSeconds(10), $"a waiting READ got its EIO {worst} after the store went down");

        Mount.Proxy.ClearRules();
        Mount.Proxy.SetDown(false);
        var back = Stopwatch.StartNew();
        var (path, size, _) = files[0];
        var recovered = false;
        while (!recovered && back.Elapsed < TimeSpan.FromSeconds(30))
        {
            recovered = (await ProcessRunner.RunAsync("dd", [$"if={FaultyStoreMount.PathIn(daemon, path)}", "of=/dev/null", "bs=1M", "count=1"], Bounded)).ExitCode == 0;
            if (!recovered)
            {
                await Task.Delay(250);
            }
        }

        var recovery = back.Elapsed;
        Assert.True(recovered, "reads did not recover within 30 s of the store coming back\n" + daemon.Process.StandardError);
        var verified = await Mount.VerifyEveryFileAsync(daemon, Bounded);
        ReliabilityRecord.Add(new ReliabilityRow(
            "1.store-down-up",
            "store goes away (every connection reset) under waiting READs, then comes back; same mount",
            readers.Count, Mount.Proxy.RefusedConnections, verified, 0, worst,
            string.Create(CultureInfo.InvariantCulture, $"EIO within 10 s asserted; recovered {recovery.TotalSeconds:0.0} s after the store was back (≤ 30 s asserted); default retries")));
    }
}
