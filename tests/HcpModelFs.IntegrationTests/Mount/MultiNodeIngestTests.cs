using System.Diagnostics;
using System.Globalization;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;
using Xunit.Abstractions;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>
/// A rollout: N daemons (own caches and mount points, one bucket) start reading one model the store lacks at the same
/// moment. One of them holds the lease and ingests; the others serve their readers from its finished objects and go to
/// the Hub only for what they need before that. The Hub's file bytes are counted at the fake Hub.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class MultiNodeIngestTests(RgwFixture rgw, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Org = "acme-rollout";
    private const string Name = "wide-llm";
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(120);
    private readonly MountTestScratch _scratch = new(rgw, $"multi-{Guid.NewGuid():N}/");
    private readonly List<ModelFsDaemon> _daemons = [];
    private S3FaultProxy? _proxy;
    private FakeHubServer? _hub;
    private IReadOnlyList<FakeHubFile> _files = [];
    private long _modelBytes;

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(rgw.Endpoint, rgw.ExistsAsync);
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        _files = SyntheticModel.Create(shardCount: 3, tensorBytesPerShard: 24L << 20, seed: 21, includeOddNames: false);
        _modelBytes = _files.Sum(f => f.Size);
        catalog.AddRepo($"{Org}/{Name}", _files);
        _hub = await FakeHubServer.StartAsync(catalog);
    }

    public async Task DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }

        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Theory]
    [InlineData(2, "20")]
    [InlineData(4, "20")]
    public async Task N_nodes_reading_one_missing_model_cost_the_Hub_at_most_1_2_times_the_model(int nodes, string followWait)
    {
        var ratio = await RolloutAsync(nodes, followWait);
        Assert.True(ratio <= 1.2, $"the Hub served {ratio:F2} x the model to {nodes} nodes");
    }

    [Fact]
    public async Task A_holder_slower_than_the_follow_wait_still_costs_the_Hub_only_the_blocks_followers_need_first()
    {
        // Each shard takes the holder longer than one second here: a follower's fetch that runs out of wait takes that
        // block alone from the Hub and the next block waits again (before, the rest of the file came from the Hub:
        // 2.00 x). The kernel's readahead is two blocks, as the defaults make it (16 MiB over 8 MiB blocks): each READ
        // it sends is a fetch that waits and then costs a block.
        var ratio = await RolloutAsync(2, "1", readAheadKb: "2048");
        Assert.True(ratio <= 1.2, $"the Hub served {ratio:F2} x the model to 2 nodes with a 1 s follow wait");
        var logs = string.Concat(_daemons.Select(d => d.Process.StandardOutput + d.Process.StandardError));
        Assert.Contains("did not finish", logs, StringComparison.Ordinal); // a follower's wait did run out
    }

    [Fact]
    public async Task Without_the_follow_wait_every_node_reads_from_the_Hub_which_the_count_catches()
    {
        // The same rollout with followers going to the Hub at once (HCPMODELFS_INGEST_FOLLOW_WAIT=0, the behaviour
        // before followers waited): the count must see it, or the test above proves nothing.
        var ratio = await RolloutAsync(2, "0");
        Assert.True(ratio > 1.2, $"the Hub served only {ratio:F2} x the model with followers reading from it");
    }

    private async Task<double> RolloutAsync(int nodes, string followWait, string? readAheadKb = null)
    {
        // 40 MB/s per response: the model takes a few seconds to ingest, so every node's readers run during it.
        _hub!.Faults.Add(FakeHubFault.Throttle(FakeHubRouteKind.Cdn, 40_000_000));
        for (var i = 0; i < nodes; i++)
        {
            var env = Environment(_scratch.NewDirectory("cache"));
            env["HCPMODELFS_INGEST_FOLLOW_WAIT"] = followWait;
            if (readAheadKb is not null)
            {
                env["HCPMODELFS_READ_AHEAD_KB"] = readAheadKb;
            }

            _daemons.Add(await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), env));
        }

        // Every node: the first 4 KiB of the first shard (its time is printed; bench/ingest measures it on a quiet
        // machine), then every file hashed, all nodes at once.
        var shard = _files.First(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal));
        var runs = _daemons.Select(d => ReadModelAsync(Path.Combine(d.MountPoint, Org, Name), shard.Path)).ToArray();
        var results = await Task.WhenAll(runs);
        foreach (var (_, digests) in results)
        {
            AssertExact(digests);
        }

        var ratio = (double)_hub.FileBytesSent / _modelBytes;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{nodes} nodes, follow wait {followWait} s: Hub file bytes {_hub.FileBytesSent} for a model of {_modelBytes} ({ratio:F3} x); first bytes {string.Join(", ", results.Select(r => r.FirstByte.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms"))}"));
        return ratio;
    }

    private static async Task<(TimeSpan FirstByte, string Digests)> ReadModelAsync(string modelDir, string shard)
    {
        var watch = Stopwatch.StartNew();
        var head = await ProcessRunner.ShellAsync($"dd if='{Path.Combine(modelDir, shard)}' bs=4k count=1 status=none | wc -c", Bounded);
        var firstByte = watch.Elapsed;
        Assert.True(head.ExitCode == 0 && head.StandardOutput.Trim() == "4096", head.ToString());
        var digests = await ProcessRunner.ShellAsync($"cd '{modelDir}' && find . -type f -printf '%P\\0' | xargs -0 -P 4 -n 1 sha256sum", Bounded);
        Assert.True(digests.ExitCode == 0, digests.ToString());
        return (firstByte, digests.StandardOutput);
    }

    private void AssertExact(string digests)
    {
        var lines = digests.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(_files.Count, lines.Length);
        foreach (var line in lines)
        {
            var file = _files.Single(f => f.Path == line[66..]);
            Assert.Equal(file.Sha256, line[..64]);
        }
    }

    private Dictionary<string, string> Environment(string cacheDir) => rgw.StoreEnvironment(_proxy!.Endpoint, _scratch.Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["MODEL_CACHE_DIR"] = cacheDir,
        ["HCPMODELFS_BLOCK_SIZE"] = "1MiB",
        ["HF_ENDPOINT"] = _hub!.HubUri.ToString().TrimEnd('/'),
        ["HF_TOKEN"] = ContractCatalog.Token,
        ["HF_HOME"] = _scratch.NewDirectory("hf-home"),
        ["HCPMODELFS_INGEST_LEASE_TTL"] = "10",
        ["HCPMODELFS_INGEST_POLL_INTERVAL"] = "0.5",
        ["HCPMODELFS_LOG_FORMAT"] = "text",
    });
}
