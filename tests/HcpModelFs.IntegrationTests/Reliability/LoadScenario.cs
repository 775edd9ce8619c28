using System.Diagnostics;
using System.Globalization;
using HcpModelFs.Fuse.Mounting;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// What the load scenarios (items 3 and 7) share: a model of two shards published through the fault proxy, the real
/// daemon mounted over it, verifying reader processes (FuseTestHost mmap-verify / range-verify) and the kernel's view of
/// the connection through fusectl.
/// </summary>
internal sealed class LoadScenario : IAsyncDisposable
{
    public const ulong MmapSeed = 301;
    public const ulong ReadSeed = 302;
    public const string MmapShard = "model-00001-of-00002.safetensors";
    public const string ReadShard = "model-00002-of-00002.safetensors";
    private const string FuseConnections = "/sys/fs/fuse/connections";
    private readonly RgwFixture _rgw;
    private readonly List<DaemonProcess> _readers = [];

    private LoadScenario(RgwFixture rgw, MountTestScratch scratch, S3FaultProxy proxy, PublishedModel model)
    {
        _rgw = rgw;
        Scratch = scratch;
        Proxy = proxy;
        Model = model;
    }

    public MountTestScratch Scratch { get; }

    public S3FaultProxy Proxy { get; }

    public PublishedModel Model { get; }

    public static async Task<LoadScenario> PublishAsync(RgwFixture rgw, string name, long mmapShardBytes, long readShardBytes)
    {
        var scratch = new MountTestScratch(rgw, $"{name}-{Guid.NewGuid():N}/");
        var proxy = new S3FaultProxy(rgw.Endpoint, rgw.ExistsAsync);
        using var store = rgw.CreateStore();
        var model = await PublishedModel.PublishAsync(store, scratch.Prefix,
            [("config.json", 1_234, 300), (MmapShard, mmapShardBytes, MmapSeed), (ReadShard, readShardBytes, ReadSeed)]);
        return new LoadScenario(rgw, scratch, proxy, model);
    }

    /// <summary>The store key of a model file, as the proxy logs it.</summary>
    public string Key(string path) => Scratch.Prefix + $"{PublishedModel.Org}/{PublishedModel.Name}/{Model.Manifest.Commit}/{path}";

    public static string FileIn(ModelFsDaemon daemon, string path) => Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);

    public Task<ModelFsDaemon> StartDaemonAsync(string mountPoint, Dictionary<string, string> extra)
    {
        var env = _rgw.StoreEnvironment(Proxy.Endpoint, Scratch.Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = Scratch.NewDirectory("cache"),
            ["HCPMODELFS_HUB_INGEST"] = "off",
        });
        foreach (var (k, v) in extra)
        {
            env[k] = v;
        }

        return ModelFsDaemon.StartAsync(mountPoint, env);
    }

    /// <summary>Starts `FuseTestHost ARGS` as its own process; disposed (killed if still running) with the scenario.</summary>
    public DaemonProcess StartReader(params string[] arguments)
    {
        var reader = DaemonProcess.Start("dotnet", [FuseTestMount.HostDll, .. arguments]);
        _readers.Add(reader);
        return reader;
    }

    public DaemonProcess StartMmapReader(string file) =>
        StartReader("mmap-verify", file, MmapSeed.ToString(CultureInfo.InvariantCulture));

    public DaemonProcess StartRangeReader(string file, int threads, int readSize) =>
        StartReader("range-verify", file, ReadSeed.ToString(CultureInfo.InvariantCulture),
            threads.ToString(CultureInfo.InvariantCulture), readSize.ToString(CultureInfo.InvariantCulture));

    /// <summary>The kernel's per-connection directory (fusectl, mounted here if the host has not: root only).</summary>
    public static async Task<string> ConnectionDirectoryAsync(string mountPoint)
    {
        if (!Directory.EnumerateFileSystemEntries(FuseConnections).Any() && MountTable.Find(FuseConnections) is null)
        {
            var mounted = await ProcessRunner.RunAsync("mount", ["-t", "fusectl", "fusectl", FuseConnections]);
            Assert.True(mounted.ExitCode == 0, mounted.ToString());
        }

        var entry = MountTable.Find(mountPoint) ?? throw new InvalidOperationException($"{mountPoint} is not mounted");
        var directory = Path.Combine(FuseConnections, ((entry.Major << 20) | entry.Minor).ToString(CultureInfo.InvariantCulture));
        Assert.True(Directory.Exists(directory), directory + " missing");
        return directory;
    }

    public static int ReadNumber(string path) => int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Peak resident set of a process (VmHWM), in bytes.</summary>
    public static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>A reader's "OK bytes=N ops=N worst_ms=X" line, parsed.</summary>
    public static (long Bytes, long Operations, double WorstMs) ParseOk(string line)
    {
        var fields = line.Split(' ').Skip(1).Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        return (long.Parse(fields["bytes"], CultureInfo.InvariantCulture), long.Parse(fields["ops"], CultureInfo.InvariantCulture),
            double.Parse(fields["worst_ms"], CultureInfo.InvariantCulture));
    }

    /// <summary>Waits (bounded) for a reader to end; false if it is still running at the deadline.</summary>
    public static async Task<bool> WaitExitAsync(DaemonProcess reader, Stopwatch since, TimeSpan bound) =>
        await reader.WaitForExitAsync(bound - since.Elapsed > TimeSpan.Zero ? bound - since.Elapsed : TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        foreach (var reader in _readers)
        {
            await reader.DisposeAsync();
        }

        Model.Dispose();
        await Proxy.DisposeAsync();
        await Scratch.CleanUpAsync();
    }
}
