using System.Diagnostics;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// What the store-fault and bounded-wait scenarios share: a model published into RGW under a prefix of its own, the
/// fault proxy in front of RGW, and the real daemon mounted through the proxy with 1 MiB blocks (many GETs for a
/// small model, so faults fire often) and without passthrough (every read is a READ the daemon answers).
/// </summary>
internal sealed class FaultyStoreMount : IAsyncDisposable
{
    public const int BlockSize = 1 << 20;
    private readonly MountTestScratch _scratch;

    private FaultyStoreMount(RgwFixture rgw, MountTestScratch scratch, S3FaultProxy proxy, PublishedModel model)
    {
        Rgw = rgw;
        _scratch = scratch;
        Proxy = proxy;
        Model = model;
    }

    public RgwFixture Rgw { get; }

    public S3FaultProxy Proxy { get; }

    public PublishedModel Model { get; }

    public string Prefix => _scratch.Prefix;

    public static async Task<FaultyStoreMount> CreateAsync(RgwFixture rgw, string name)
    {
        var scratch = new MountTestScratch(rgw, $"{name}-{Guid.NewGuid():N}/");
        var proxy = new S3FaultProxy(rgw.Endpoint, rgw.ExistsAsync);
        using var store = rgw.CreateStore();
        var model = await PublishedModel.PublishAsync(store, scratch.Prefix);
        return new FaultyStoreMount(rgw, scratch, proxy, model);
    }

    /// <summary>The store key of a model file (what the proxy's log shows for its GETs).</summary>
    public string KeyOf(string path) => Prefix + $"{PublishedModel.Org}/{PublishedModel.Name}/{Model.Manifest.Commit}/{path}";

    public static string PathIn(ModelFsDaemon daemon, string path) =>
        Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);

    public async Task<ModelFsDaemon> StartAsync(Dictionary<string, string>? extra = null)
    {
        var env = Rgw.StoreEnvironment(Proxy.Endpoint, _scratch.Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = _scratch.NewDirectory("cache"),
            ["HCPMODELFS_BLOCK_SIZE"] = "1MiB",
            ["HCPMODELFS_PASSTHROUGH"] = "off",
            ["HCPMODELFS_HUB_INGEST"] = "off",
            ["HCPMODELFS_METRICS_LISTEN"] = "off",
        });
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        var daemon = await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), env);
        // Names resolved (manifest read) while the store answers: the faults then meet data GETs.
        var stat = await ProcessRunner.RunAsync("stat", [PathIn(daemon, Model.Files[0].Path)], TimeSpan.FromSeconds(60));
        if (stat.ExitCode != 0)
        {
            await daemon.DisposeAsync();
            throw new InvalidOperationException("stat through the new mount failed: " + stat);
        }

        return daemon;
    }

    /// <summary>sha256sum of every non-empty file, compared with the published bytes; returns the bytes checked.</summary>
    public async Task<long> VerifyEveryFileAsync(ModelFsDaemon daemon, TimeSpan bound)
    {
        var files = Model.Files.Where(f => f.Size > 0).ToList();
        var result = await ProcessRunner.RunAsync("sha256sum", [.. files.Select(f => PathIn(daemon, f.Path))], bound);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException("a read failed under the fault: " + result + "\n" + daemon.Process.StandardError);
        }

        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Xunit.Assert.Equal(files.Count, lines.Length);
        for (var i = 0; i < files.Count; i++)
        {
            Xunit.Assert.True(Model.Sha256(files[i].Path) == lines[i][..64], $"wrong bytes in {files[i].Path}");
        }

        return files.Sum(f => f.Size);
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; false when the bound passed first.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > bound)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        Model.Dispose();
        await Proxy.DisposeAsync();
        await _scratch.CleanUpAsync();
    }
}
