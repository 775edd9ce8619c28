using System.Diagnostics;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Store.S3;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// What the crash scenarios share: Ceph RGW behind the fault proxy (where kill points fire), the fake Hub, one key
/// prefix and scratch directories per test, the environment of the real `hcpmodelfs`, and bounded waits.
/// </summary>
internal sealed class CrashRig : IAsyncDisposable
{
    public static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly RgwFixture _rgw;
    private readonly List<ModelFsDaemon> _daemons = [];
    private FakeHubServer? _hub;

    private CrashRig(RgwFixture rgw, string prefix, FakeHubServer? hub)
    {
        _rgw = rgw;
        Scratch = new MountTestScratch(rgw, prefix);
        Proxy = new S3FaultProxy(rgw.Endpoint, rgw.ExistsAsync);
        _hub = hub;
        Store = rgw.CreateStore();
    }

    public MountTestScratch Scratch { get; }

    public string Prefix => Scratch.Prefix;

    public S3FaultProxy Proxy { get; }

    public FakeHubServer Hub => _hub ?? throw new InvalidOperationException("no fake Hub in this rig");

    /// <summary>A direct client of RGW (not through the proxy) for checks.</summary>
    public S3ObjectStore Store { get; }

    public static async Task<CrashRig> StartAsync(RgwFixture rgw, string name, FakeHubCatalog? catalog = null)
    {
        var hub = catalog is null ? null : await FakeHubServer.StartAsync(catalog);
        return new CrashRig(rgw, $"{name}-{Guid.NewGuid():N}/", hub);
    }

    public Dictionary<string, string> Environment(string cacheDir, Dictionary<string, string>? extra = null)
    {
        var env = _rgw.StoreEnvironment(Proxy.Endpoint, Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = cacheDir,
            ["HCPMODELFS_BLOCK_SIZE"] = "1MiB",
            ["HCPMODELFS_INGEST_LEASE_TTL"] = "1",
            ["HCPMODELFS_INGEST_POLL_INTERVAL"] = "0.2",
            ["HCPMODELFS_LOG_FORMAT"] = "text",
            ["HCPMODELFS_CONFIG"] = string.Empty,
            ["HF_HOME"] = Scratch.NewDirectory("hf-home"),
        });
        if (_hub is not null)
        {
            env["HF_ENDPOINT"] = _hub.HubUri.ToString().TrimEnd('/');
            env["HF_TOKEN"] = ContractCatalog.Token;
        }
        else
        {
            env["HCPMODELFS_HUB_INGEST"] = "off";
        }

        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        return env;
    }

    public async Task<ModelFsDaemon> MountAsync(string cacheDir, Dictionary<string, string>? extra = null)
    {
        var daemon = await ModelFsDaemon.StartAsync(Scratch.NewDirectory("mnt"), Environment(cacheDir, extra));
        _daemons.Add(daemon);
        return daemon;
    }

    /// <summary>Stops (or finds dead), unmounts and forgets a daemon.</summary>
    public async Task ReleaseAsync(ModelFsDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        _daemons.Remove(daemon);
        await daemon.DisposeAsync();
    }

    /// <summary>`hcpmodelfs ARGS` started in the background (to be killed), with no stray .env.</summary>
    public DaemonProcess Start(string cacheDir, params string[] arguments) =>
        DaemonProcess.Start("dotnet", [ModelFsDaemon.Dll, .. arguments, "--env-file", "/nonexistent/.env"], Environment(cacheDir));

    /// <summary>`hcpmodelfs ARGS` run to its end.</summary>
    public Task<ProcessResult> RunAsync(string cacheDir, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [ModelFsDaemon.Dll, .. arguments, "--env-file", "/nonexistent/.env"], Bounded, Environment(cacheDir));

    /// <summary>SIGKILL, and wait (bounded) until the process is gone; returns how long that took.</summary>
    public static async Task<TimeSpan> KillAsync(DaemonProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var clock = Stopwatch.StartNew();
        process.Signal(9);
        Assert.True(await process.WaitForExitAsync(Bounded), "the killed process did not exit");
        return clock.Elapsed;
    }

    /// <summary>Waits (bounded) for a kill point; fails with the process's log if it is not reached.</summary>
    public static async Task WaitReachedAsync(KillPoint point, DaemonProcess process)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(process);
        var exited = process.WaitForExitAsync(Bounded);
        var first = await Task.WhenAny(point.Reached, exited, Task.Delay(Bounded));
        Assert.True(first == point.Reached, $"kill point {point} not reached (exited: {process.HasExited})\n{process.StandardError}");
    }

    /// <summary>The model has a HEAD ref entry whose commit has a manifest: a reader finds it in the store alone.</summary>
    public async Task<bool> IsCommittedAsync(string org, string model)
    {
        var refs = new List<string>();
        await foreach (var entry in Store.ListAsync($"{Prefix}{org}/{model}/.hcpmodelfs/refs/HEAD/", null, CancellationToken.None))
        {
            refs.Add(entry.Key);
        }

        foreach (var key in refs)
        {
            var commit = key[(key.LastIndexOf('-') + 1)..];
            if (await Store.HeadAsync($"{Prefix}{org}/{model}/{commit}/.hcpmodelfs/manifest.json", CancellationToken.None) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The store below the prefix (or below <paramref name="below"/> in it) holds no manifest whose objects are missing or differ.</summary>
    public async Task<StoreConsistencyReport> AssertConsistentAsync(string when, string below = "")
    {
        using var cts = new CancellationTokenSource(Bounded);
        var report = await StoreConsistency.CheckAsync(Store, Prefix + below, cts.Token);
        Assert.True(report.IsConsistent, $"{when}: {report}");
        return report;
    }

    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, Func<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        // A bounded wait for a state another process reaches: never a fixed sleep standing in for synchronisation.
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < Bounded, $"timed out waiting for {what}\n{log?.Invoke()}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }

        if (_hub is not null)
        {
            await _hub.DisposeAsync();
            _hub = null;
        }

        await Proxy.DisposeAsync();
        Store.Dispose();
        await Scratch.CleanUpAsync();
    }
}
