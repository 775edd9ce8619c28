using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Http;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Http;

/// <summary>
/// What the endpoint tests share: a model published into Ceph RGW (through nothing: the counting proxy sees only the
/// daemon's traffic), a fake Hub holding models the store lacks, and one `hcpmodelfs serve` over both with a tree page
/// of 3 entries so pagination is exercised. Tests that need a cold cache or other settings start their own daemon
/// with <see cref="Environment"/>. Started on first use (xunit class fixtures cannot take the RGW collection fixture).
/// </summary>
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class HubEndpointFixture : IAsyncLifetime
{
    public const string HubOrg = "acme-hub";
    public const string PulledModel = "pulled-llm";
    public const string JsPulledModel = "js-pulled-llm";
    public const string BadBytesModel = "bad-bytes-llm";
    public const string LookupModel = "lookup-llm";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<HubEndpointDaemon> _daemons = [];
    private RgwFixture? _rgw;
    private MountTestScratch? _scratch;

    public S3FaultProxy Proxy { get; private set; } = null!;

    public FakeHubServer Hub { get; private set; } = null!;

    public PublishedModel Model { get; private set; } = null!;

    public IReadOnlyList<FakeHubFile> PulledFiles { get; private set; } = [];

    public string PulledCommit { get; private set; } = string.Empty;

    public IReadOnlyList<FakeHubFile> JsPulledFiles { get; private set; } = [];

    public string JsPulledCommit { get; private set; } = string.Empty;

    public IReadOnlyList<FakeHubFile> BadBytesFiles { get; private set; } = [];

    public string LookupCommit { get; private set; } = string.Empty;

    /// <summary>The shared daemon (warm cache once a test has read through it).</summary>
    public HubEndpointDaemon Shared { get; private set; } = null!;

    public RgwFixture Rgw => _rgw!;

    public string Prefix => _scratch!.Prefix;

    public async Task EnsureStartedAsync(RgwFixture rgw)
    {
        await _gate.WaitAsync();
        try
        {
            if (_rgw is not null)
            {
                return;
            }

            _rgw = rgw;
            _scratch = new MountTestScratch(rgw, $"http-{Guid.NewGuid():N}/");
            Proxy = new S3FaultProxy(rgw.Endpoint, rgw.ExistsAsync);
            using (var store = rgw.CreateStore())
            {
                Model = await PublishedModel.PublishAsync(store, Prefix);
            }

            var catalog = new FakeHubCatalog();
            catalog.Tokens.Add(ContractCatalog.Token);
            PulledFiles = SyntheticModel.Create(shardCount: 2, tensorBytesPerShard: 4L << 20, seed: 11, includeOddNames: true);
            PulledCommit = catalog.AddRepo($"{HubOrg}/{PulledModel}", PulledFiles).Head.Sha;
            JsPulledFiles = SyntheticModel.Create(shardCount: 2, tensorBytesPerShard: 3L << 20, seed: 12, includeOddNames: false);
            JsPulledCommit = catalog.AddRepo($"{HubOrg}/{JsPulledModel}", JsPulledFiles).Head.Sha;
            BadBytesFiles = SyntheticModel.Create(shardCount: 1, tensorBytesPerShard: 3L << 20, seed: 13, includeOddNames: false);
            catalog.AddRepo($"{HubOrg}/{BadBytesModel}", BadBytesFiles);
            LookupCommit = catalog.AddRepo($"{HubOrg}/{LookupModel}", SyntheticModel.Create(shardCount: 1, tensorBytesPerShard: 1L << 20, seed: 14, includeOddNames: false)).Head.Sha;
            Hub = await FakeHubServer.StartAsync(catalog);
            Shared = await StartDaemonAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public string NewDirectory(string what) => _scratch!.NewDirectory(what);

    public string FileKey(string path) => $"{Prefix}{PublishedModel.Org}/{PublishedModel.Name}/{Model.Manifest.Commit}/{path}";

    public Dictionary<string, string> Environment(string? cacheDir = null, Dictionary<string, string>? extra = null)
    {
        var env = Rgw.StoreEnvironment(Proxy.Endpoint, Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = cacheDir ?? NewDirectory("cache"),
            ["HCPMODELFS_BLOCK_SIZE"] = "1MiB",
            ["HCPMODELFS_HTTP_TREE_PAGE_SIZE"] = "3",
            ["HF_ENDPOINT"] = Hub.HubUri.ToString().TrimEnd('/'),
            ["HF_TOKEN"] = ContractCatalog.Token,
            ["HF_HOME"] = NewDirectory("hf-home"),
            ["HCPMODELFS_INGEST_LEASE_TTL"] = "3",
            ["HCPMODELFS_INGEST_POLL_INTERVAL"] = "0.5",
            ["HCPMODELFS_LOG_LEVEL"] = "Debug",
        });
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        return env;
    }

    public async Task<HubEndpointDaemon> StartDaemonAsync(Dictionary<string, string>? extra = null, string? mountPoint = null)
    {
        var daemon = await HubEndpointDaemon.StartAsync(Environment(extra: extra), mountPoint);
        lock (_daemons)
        {
            _daemons.Add(daemon);
        }

        return daemon;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }

        if (Hub is not null)
        {
            await Hub.DisposeAsync();
        }

        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        if (_scratch is not null)
        {
            await _scratch.CleanUpAsync();
        }

        Model?.Dispose();
        _gate.Dispose();
    }
}
