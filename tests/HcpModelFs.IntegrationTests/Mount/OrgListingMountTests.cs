using System.Diagnostics;
using System.Globalization;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>
/// Listing at scale through the real mount: an organisation of 200 plain folders (2 objects each, as other tools
/// upload them) on Ceph RGW, walked by the real `find`, `du` and `ls` in other processes, with every store request
/// counted at a proxy. A cold pass costs keys/1000 LISTs, not requests per model; a warm pass costs none.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class OrgListingMountTests : IAsyncLifetime
{
    private const string Org = "plainorg";
    private const int Models = 200;
    private readonly RgwFixture _rgw;
    private readonly MountTestScratch _scratch;
    private readonly List<(string Path, long Size)> _files = [];
    private S3FaultProxy? _proxy;
    private PublishedModel? _managed;

    public OrgListingMountTests(RgwFixture rgw)
    {
        _rgw = rgw;
        _scratch = new MountTestScratch(rgw, $"mnt-{Guid.NewGuid():N}/");
    }

    private S3FaultProxy Proxy => _proxy!;

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync);
        using var store = _rgw.CreateStore();
        for (var m = 0; m < Models; m++)
        {
            var model = $"model-{m:D3}";
            _files.Add(($"{model}/config.json", 100 + m));
            _files.Add(($"{model}/weights/model.bin", 1000 + (m * 7)));
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await Parallel.ForEachAsync(_files, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cts.Token }, async (file, ct) =>
            await store.PutAsync($"{_scratch.Prefix}{Org}/{file.Path}", new byte[file.Size], ct));
        _managed = await PublishedModel.PublishAsync(store, _scratch.Prefix, [("config.json", 4_321, 1), ("nested/w.bin", 300_001, 2), ("empty", 0, 3)]);
    }

    public async Task DisposeAsync()
    {
        _managed?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Find_over_an_organisation_costs_one_LIST_cold_and_no_request_warm()
    {
        await using var daemon = await StartAsync();
        var orgDir = Path.Combine(daemon.MountPoint, Org);
        var expected = string.Join('\n', _files.Select(f => $"{f.Path} {f.Size}").Order(StringComparer.Ordinal)) + "\n";
        var find = $"cd '{orgDir}' && find . -type f -printf '%P %s\\n' | LC_ALL=C sort";
        Proxy.ClearLog();

        var cold = Stopwatch.StartNew();
        var first = await ProcessRunner.ShellAsync(find);
        cold.Stop();
        var coldRequests = Proxy.Requests;

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(expected, first.StandardOutput);
        // 402 keys: one page of one recursive LIST, plus at most one more request of any kind.
        Assert.True(coldRequests.Count <= (_files.Count / 1000) + 2, $"cold find took {coldRequests.Count} store requests: " +
            string.Join(", ", coldRequests.Take(10).Select(r => $"{r.Method} {r.Key}?{r.Query}")));
        Assert.Equal(1, coldRequests.Count(r => r.Method == "GET" && r.Key is null && r.Query.Contains("prefix=", StringComparison.Ordinal)));

        Proxy.ClearLog();
        var warm = Stopwatch.StartNew();
        var second = await ProcessRunner.ShellAsync(find);
        warm.Stop();

        Assert.Equal(expected, second.StandardOutput);
        Assert.Empty(Proxy.Requests);
        Console.WriteLine($"find over {Models} plain models: cold {cold.Elapsed.TotalSeconds:F2} s, warm {warm.Elapsed.TotalSeconds:F2} s");
    }

    [Fact]
    public async Task Du_gives_the_sum_of_file_sizes_without_reading_data_for_plain_and_managed_models()
    {
        await using var daemon = await StartAsync();
        var managedDir = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name);
        var managedFiles = _managed!.Files.Select(f => f.Size).ToList();
        var plainSizes = _files.Select(f => f.Size).ToList();
        Proxy.ClearLog();

        Assert.Equal(plainSizes.Sum(), await DuAsync("--apparent-size", Path.Combine(daemon.MountPoint, Org)));
        Assert.Equal(plainSizes.Sum(Blocks), await DuAsync(null, Path.Combine(daemon.MountPoint, Org)));
        Assert.Equal(managedFiles.Sum(), await DuAsync("--apparent-size", managedDir));
        Assert.Equal(managedFiles.Sum(Blocks), await DuAsync(null, managedDir));

        Assert.Equal(0, Proxy.Count(r => FaultRule.DataGet(r) && !r.Key!.EndsWith("/.hcpmodelfs/manifest.json", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Eight_concurrent_ls_of_one_organisation_cause_one_bulk_LIST()
    {
        await using var daemon = await StartAsync();
        var orgDir = Path.Combine(daemon.MountPoint, Org);
        Proxy.ClearLog();

        var runs = Enumerable.Range(0, 8).Select(_ => ProcessRunner.RunAsync("ls", orgDir)).ToArray();
        foreach (var run in await Task.WhenAll(runs))
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(Models, run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }

        Assert.Single(Proxy.Requests);
    }

    /// <summary>What du counts for a file of this size: st_blocks of 512 bytes, the size rounded up.</summary>
    private static long Blocks(long size) => (size + 511) / 512 * 512;

    private static async Task<long> DuAsync(string? option, string path)
    {
        var result = option is null
            ? await ProcessRunner.RunAsync("du", "-s", "-B1", path)
            : await ProcessRunner.RunAsync("du", "-s", "-B1", option, path);
        Assert.True(result.ExitCode == 0, result.ToString());
        return long.Parse(result.StandardOutput.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    private async Task<ModelFsDaemon> StartAsync()
    {
        var env = _rgw.StoreEnvironment(Proxy.Endpoint, _scratch.Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = _scratch.NewDirectory("cache"),
            // About the store alone: a name the store lacks must not go looking for huggingface.co.
            ["HCPMODELFS_HUB_INGEST"] = "off",
        });
        return await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), env);
    }
}
