using System.Diagnostics;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>
/// `find` over an organisation of managed models through the real mount: one recursive LIST for the organisation,
/// then one manifest GET each (its size came with the listing), read in bulk with bounded concurrency once the organisation is walked.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class ManagedOrgListingMountTests : IAsyncLifetime
{
    private const string Org = "managedorg";
    private const int Models = 40;
    private readonly RgwFixture _rgw;
    private readonly MountTestScratch _scratch;
    private S3FaultProxy? _proxy;

    public ManagedOrgListingMountTests(RgwFixture rgw)
    {
        _rgw = rgw;
        _scratch = new MountTestScratch(rgw, $"mnt-{Guid.NewGuid():N}/");
    }

    private S3FaultProxy Proxy => _proxy!;

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync);
        using var store = _rgw.CreateStore();
        var source = _scratch.NewDirectory("src");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        await File.WriteAllBytesAsync(Path.Combine(source, "config.json"), new byte[321]);
        await File.WriteAllBytesAsync(Path.Combine(source, "sub", "w.bin"), new byte[4_000]);
        var publisher = new ModelPublisher(store, new StoreLayout(_scratch.Prefix), NullLogger<ModelPublisher>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await Parallel.ForEachAsync(Enumerable.Range(0, Models), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cts.Token }, async (m, ct) =>
            await publisher.PublishAsync(Org, $"model-{m:D3}", source, "main", ct));
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Find_over_managed_models_costs_one_LIST_and_one_manifest_GET_each()
    {
        static bool IsManifestGet(ProxyRequest r) =>
            r.Method == "GET" && r.Range != "bytes=0-0" && r.Key is not null && r.Key.EndsWith("/.hcpmodelfs/manifest.json", StringComparison.Ordinal);

        Proxy.ClearLog();
        await using var daemon = await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HCP_ENDPOINT"] = Proxy.Endpoint.ToString(),
            ["HCP_NAMESPACE"] = _rgw.Bucket,
            ["HCP_ACCESS_KEY"] = _rgw.AccessKey,
            ["HCP_SECRET_KEY"] = _rgw.SecretKey,
            ["HCP_PREFIX"] = _scratch.Prefix,
            ["MODEL_CACHE_DIR"] = _scratch.NewDirectory("cache"),
            ["HCPMODELFS_HUB_INGEST"] = "off",
        });
        var expected = string.Join('\n', Enumerable.Range(0, Models)
            .SelectMany(m => new[] { $"model-{m:D3}/config.json 321", $"model-{m:D3}/sub/w.bin 4000" })
            .Order(StringComparer.Ordinal)) + "\n";
        var find = $"cd '{Path.Combine(daemon.MountPoint, Org)}' && find . -type f -printf '%P %s\\n' | LC_ALL=C sort";
        // The daemon's start-up warm-up resolves one model; that manifest is not read again by the walk.
        var atStart = Proxy.Count(IsManifestGet);
        // ... and reads one byte of it as a ranged GET, so the read path's code is compiled before the first READ.
        Assert.Equal(1, Proxy.Count(r => r.Method == "GET" && r.Range == "bytes=0-0" && (r.Key ?? string.Empty).EndsWith("/.hcpmodelfs/manifest.json", StringComparison.Ordinal)));
        Assert.Equal(0, Proxy.Count(r => r.Method == "GET" && r.Key is not null && !r.Key.Contains("/.hcpmodelfs/", StringComparison.Ordinal)));
        Proxy.ClearLog();

        var cold = Stopwatch.StartNew();
        var first = await ProcessRunner.ShellAsync(find);
        cold.Stop();

        Assert.Equal(expected, first.StandardOutput);
        var requests = Proxy.Requests;
        Assert.Equal(1, requests.Count(r => r.Key is null));
        // Every manifest read exactly once, at start-up or during the walk.
        var manifests = requests.Count(IsManifestGet);
        Assert.Equal(Models, atStart + manifests);
        // The listing showed each manifest's size: one GET each, no HEAD.
        Assert.Equal(0, requests.Count(r => r.Method == "HEAD"));
        Assert.Equal(1 + manifests, requests.Count);

        Proxy.ClearLog();
        var warm = Stopwatch.StartNew();
        Assert.Equal(expected, (await ProcessRunner.ShellAsync(find)).StandardOutput);
        warm.Stop();
        Assert.Empty(Proxy.Requests);
        Console.WriteLine($"find over {Models} managed models: cold {cold.Elapsed.TotalSeconds:F2} s ({requests.Count} requests), warm {warm.Elapsed.TotalSeconds:F2} s");
    }
}
