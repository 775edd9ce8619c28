using System.Diagnostics;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// What the hostile-input and secrets scenarios run against: the real daemon over Ceph RGW behind the counting fault
/// proxy, with the fake Hub, its own key prefix and caches. Disposing stops every daemon, the Hub and the proxy and
/// deletes the prefix.
/// </summary>
internal sealed class HostileMount : IAsyncDisposable
{
    public static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly RgwFixture _rgw;
    private readonly List<ModelFsDaemon> _daemons = [];

    private HostileMount(RgwFixture rgw, MountTestScratch scratch, S3FaultProxy proxy, FakeHubServer hub)
    {
        _rgw = rgw;
        Scratch = scratch;
        Proxy = proxy;
        Hub = hub;
    }

    public MountTestScratch Scratch { get; }

    public S3FaultProxy Proxy { get; }

    public FakeHubServer Hub { get; }

    public RgwFixture Rgw => _rgw;

    public string Prefix => Scratch.Prefix;

    public static async Task<HostileMount> StartAsync(RgwFixture rgw, FakeHubCatalog catalog)
    {
        var scratch = new MountTestScratch(rgw, $"hostile-{Guid.NewGuid():N}/");
        var proxy = new S3FaultProxy(rgw.Endpoint, rgw.ExistsAsync);
        try
        {
            return new HostileMount(rgw, scratch, proxy, await FakeHubServer.StartAsync(catalog));
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    public Dictionary<string, string> Environment(Dictionary<string, string>? extra = null)
    {
        var env = _rgw.StoreEnvironment(Proxy.Endpoint, Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = Scratch.NewDirectory("cache"),
            ["HCPMODELFS_BLOCK_SIZE"] = "1MiB",
            ["HF_ENDPOINT"] = Hub.HubUri.ToString().TrimEnd('/'),
            ["HF_TOKEN"] = ContractCatalog.Token,
            ["HF_HOME"] = Scratch.NewDirectory("hf-home"),
            ["HCPMODELFS_INGEST_LEASE_TTL"] = "3",
            ["HCPMODELFS_INGEST_POLL_INTERVAL"] = "0.5",
            ["HCPMODELFS_LOG_FORMAT"] = "text",
            ["HCPMODELFS_CONFIG"] = string.Empty,
        });
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        return env;
    }

    public async Task<ModelFsDaemon> StartDaemonAsync(Dictionary<string, string>? extra = null)
    {
        var daemon = await ModelFsDaemon.StartAsync(Scratch.NewDirectory("mnt"), Environment(extra));
        _daemons.Add(daemon);
        return daemon;
    }

    /// <summary>A bounded wait for a state another process reaches: never a fixed sleep standing in for synchronisation.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < Bounded, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        var errors = new List<Exception>();
        foreach (var daemon in _daemons)
        {
            try
            {
                await daemon.DisposeAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Every daemon is stopped and unmounted before a failure (a leaked secret) is reported.
                errors.Add(e);
            }
        }

        await Hub.DisposeAsync();
        await Proxy.DisposeAsync();
        await Scratch.CleanUpAsync();
        if (errors.Count > 0)
        {
            throw new AggregateException(errors);
        }
    }
}
