using System.Diagnostics;
using System.Globalization;
using Amazon.S3.Model;
using HcpModelFs.FuseTestHost;
using HcpModelFs.IntegrationTests.Reliability;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>
/// The read path end to end: the real `hcpmodelfs mount` binary over Ceph RGW (through a counting proxy), driven
/// from other processes. Each test publishes its own model under its own key prefix and uses its own cache.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class ModelMountTests : IAsyncLifetime
{
    private const int BlockSize = 4 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private readonly RgwFixture _rgw;
    private readonly MountTestScratch _scratch;
    private S3FaultProxy? _proxy;
    private PublishedModel? _model;

    public ModelMountTests(RgwFixture rgw)
    {
        _rgw = rgw;
        _scratch = new MountTestScratch(rgw, $"mnt-{Guid.NewGuid():N}/");
    }

    private string Prefix => _scratch.Prefix;

    private S3FaultProxy Proxy => _proxy!;

    private PublishedModel Model => _model!;

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync);
        using var store = _rgw.CreateStore();
        _model = await PublishedModel.PublishAsync(store, Prefix);
    }

    public async Task DisposeAsync()
    {
        _model?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Published_model_is_listed_and_every_file_reads_back_byte_exact_with_exact_sizes()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var root = daemon.MountPoint;

        Assert.Equal(PublishedModel.Org, (await Run("ls", root)).StandardOutput.Trim());
        Assert.Equal(PublishedModel.Name, (await Run("ls", Path.Combine(root, PublishedModel.Org))).StandardOutput.Trim());

        var modelDir = Path.Combine(root, PublishedModel.Org, PublishedModel.Name);
        var listing = await ProcessRunner.ShellAsync($"cd '{modelDir}' && find . -type f -printf '%P %s\\n' | LC_ALL=C sort");
        Assert.Equal(
            string.Join('\n', Model.Files.Select(PublishedModel.Describe).Order(StringComparer.Ordinal)) + "\n",
            listing.StandardOutput);

        var digests = await ProcessRunner.ShellAsync($"cd '{modelDir}' && find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum", TimeSpan.FromMinutes(3));
        Assert.True(digests.ExitCode == 0, digests.ToString());
        foreach (var line in digests.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(Model.Sha256(line[66..]), line[..64]);
        }

        var ls = await Run("ls", "-l", modelDir);
        Assert.Contains("-r--r--r--", ls.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Random_mmap_reads_from_another_process_are_byte_exact()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var (path, size, seed) = Model.Files[1];
        var file = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);
        var result = await ProcessRunner.RunAsync(
            "dotnet",
            [FuseTestMount.HostDll, "mmap-check", file, seed.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture), "1500", "7"],
            TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Eight_processes_reading_one_file_fetch_each_block_from_the_store_once()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var (path, size, _) = Model.Files[1];
        var file = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);
        var key = Prefix + $"{PublishedModel.Org}/{PublishedModel.Name}/{Model.Manifest.Commit}/{path}";
        Proxy.ClearLog();

        var readers = Enumerable.Range(0, 8).Select(_ => ProcessRunner.RunAsync("sha256sum", [file], TimeSpan.FromMinutes(3))).ToArray();
        foreach (var reader in readers)
        {
            var result = await reader;
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(Model.Sha256(path), result.StandardOutput[..64]);
        }

        // Block 0 may arrive as two GETs (its first bytes, checked on their own, and the rest): count bytes, not GETs.
        var gets = Proxy.Requests.Where(r => FaultRule.DataGet(r) && r.Key == key && r.Status is 200 or 206).Select(r => (key, r.Range)).ToList();
        var failures = FetchOnceCheck.Failures(gets, new Dictionary<string, long>(StringComparer.Ordinal) { [key] = size });
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.InRange(gets.Count, (size + BlockSize - 1) / BlockSize, ((size + BlockSize - 1) / BlockSize) + 1);
    }

    [Fact]
    public async Task Restarted_daemon_rereads_a_cached_model_with_zero_data_GETs()
    {
        var cache = _scratch.NewDirectory("cache");
        var modelDir = Path.Combine(PublishedModel.Org, PublishedModel.Name);
        await using (var first = await StartAsync(cache))
        {
            var warm = await ProcessRunner.ShellAsync($"cd '{Path.Combine(first.MountPoint, modelDir)}' && find . -type f -exec cat {{}} + | wc -c", TimeSpan.FromMinutes(3));
            Assert.Equal(Model.Files.Sum(f => f.Size).ToString(CultureInfo.InvariantCulture), warm.StandardOutput.Trim());
            Assert.Equal(0, await first.StopAsync(Bounded));
        }

        Proxy.ClearLog();
        await using var second = await StartAsync(cache);
        var digests = await ProcessRunner.ShellAsync($"cd '{Path.Combine(second.MountPoint, modelDir)}' && find . -type f -print0 | xargs -0 sha256sum", TimeSpan.FromMinutes(3));
        Assert.True(digests.ExitCode == 0, digests.ToString());
        foreach (var line in digests.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(Model.Sha256(line[68..]), line[..64]);
        }

        var dataGets = Proxy.Requests.Where(r => IsFileGet(r)).Select(r => $"{r.Key} {r.Range}").ToList();
        Assert.True(dataGets.Count == 0, "data GETs after restart: " + string.Join(", ", dataGets));
        // Metadata: the ref listing and the manifest, once each per model (the start-up warm-up's one-byte ranged GET
        // of the manifest reads no manifest).
        Assert.InRange(Proxy.Count(r => r.Method == "GET" && r.Range != "bytes=0-0" && r.Key is not null && r.Key.EndsWith("manifest.json", StringComparison.Ordinal)), 0, 1);
    }

    [Fact]
    public async Task Corrupted_cached_block_is_detected_refetched_and_never_served()
    {
        var cache = _scratch.NewDirectory("cache");
        var (path, _, _) = Model.Files[1];
        var relative = Path.Combine(PublishedModel.Org, PublishedModel.Name, path);
        await using (var first = await StartAsync(cache))
        {
            Assert.Equal(Model.Sha256(path), (await Run("sha256sum", Path.Combine(first.MountPoint, relative))).StandardOutput[..64]);
            Assert.Equal(0, await first.StopAsync(Bounded));
        }

        // Flip bytes inside the first block of every cached data file: the sidecar CRCs no longer match.
        var dataFiles = Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".meta", StringComparison.Ordinal) && new FileInfo(f).Length > 4096).ToList();
        Assert.NotEmpty(dataFiles);
        foreach (var data in dataFiles)
        {
            using var handle = File.OpenHandle(data, FileMode.Open, FileAccess.ReadWrite);
            RandomAccess.Write(handle, new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, 1000);
        }

        Proxy.ClearLog();
        await using var second = await StartAsync(cache);
        var result = await Run("sha256sum", Path.Combine(second.MountPoint, relative));
        Assert.Equal(Model.Sha256(path), result.StandardOutput[..64]);
        Assert.True(Proxy.Count(IsFileGet) >= 1, "the corrupt block was not fetched again");
        Assert.Contains("CRC", second.Process.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Cache_smaller_than_the_model_keeps_reads_correct_while_evicting()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"), new() { ["MODEL_CACHE_MAX_SIZE"] = "12MiB" });
        var modelDir = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name);
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var (path, _, _) in Model.Files.Where(f => f.Size > 0))
            {
                var result = await Run("sha256sum", Path.Combine(modelDir, path));
                Assert.True(result.ExitCode == 0, result.ToString());
                Assert.Equal(Model.Sha256(path), result.StandardOutput[..64]);
            }
        }
    }

    [Theory]
    [InlineData("bad--org")]
    [InlineData("-leading")]
    [InlineData("acme/bad..model")]
    [InlineData("acme/trailing.git")]
    [InlineData("acme/x-")]
    [InlineData("acme/tiny-llm@..%2Fescape")]
    public async Task Invalid_names_are_enoent_without_any_store_request(string name)
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        Proxy.ClearLog();
        var result = await Run("stat", Path.Combine(daemon.MountPoint, name));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No such file or directory", result.StandardError, StringComparison.Ordinal);
        var unexpected = Proxy.Requests.Where(r => (r.Key ?? string.Empty).Contains(name.Split('/')[^1], StringComparison.Ordinal)).ToList();
        Assert.Empty(unexpected);
    }

    [Fact]
    public async Task A_dead_store_gives_eio_within_bounded_time_not_a_hang()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var (path, _, _) = Model.Files[2];
        var file = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, path);
        Assert.Equal(0, (await Run("stat", file)).ExitCode); // names resolved while the store is up

        Proxy.AddRule(new FaultRule(FaultKind.InternalError) { Match = FaultRule.DataGet });
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync("cat", [file], TimeSpan.FromSeconds(60));
        clock.Stop();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Input/output error", result.StandardError, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"EIO took {clock.Elapsed}");
    }

    [Fact]
    public async Task Plain_folder_without_managed_layout_is_listed_and_read()
    {
        var plainPrefix = Prefix + "plainorg/plain-model/";
        var content = new byte[(3 << 20) + 5];
        SyntheticContent.Fill(77, 0, content);
        using (var cts = new CancellationTokenSource(Bounded))
        {
            foreach (var (key, bytes) in new (string, byte[])[] { ("a.bin", content), ("sub/", []), ("sub/b.txt", "hello\n"u8.ToArray()) })
            {
                await _rgw.AdminClient.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _rgw.Bucket,
                    Key = plainPrefix + key,
                    InputStream = new MemoryStream(bytes),
                    UseChunkEncoding = false,
                }, cts.Token);
            }
        }

        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var dir = Path.Combine(daemon.MountPoint, "plainorg", "plain-model");
        var listing = await ProcessRunner.ShellAsync($"cd '{dir}' && find . -printf '%P|%y|%s\\n' | LC_ALL=C sort");
        // C-locale order: '/' (0x2F) sorts before '|' (0x7C); the folder marker "sub/" is not a file.
        Assert.Equal($"a.bin|f|{content.Length}\nsub/b.txt|f|6\nsub|d|0\n|d|0\n", listing.StandardOutput);
        Assert.Equal("hello\n", (await Run("cat", Path.Combine(dir, "sub", "b.txt"))).StandardOutput);
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)),
            (await Run("sha256sum", Path.Combine(dir, "a.bin"))).StandardOutput[..64]);
    }

    [Fact]
    public async Task Model_at_commit_is_reachable_by_path_but_not_listed()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var org = Path.Combine(daemon.MountPoint, PublishedModel.Org);
        var pinned = Path.Combine(org, $"{PublishedModel.Name}@{Model.Manifest.Commit}", "config.json");
        Assert.Equal(Model.Sha256("config.json"), (await Run("sha256sum", pinned)).StandardOutput[..64]);
        Assert.Equal(Model.Sha256("config.json"), (await Run("sha256sum", Path.Combine(org, PublishedModel.Name + "@main", "config.json"))).StandardOutput[..64]);
        Assert.Equal(PublishedModel.Name, (await Run("ls", org)).StandardOutput.Trim());
        Assert.NotEqual(0, (await Run("stat", Path.Combine(org, PublishedModel.Name + "@" + new string('0', 40)))).ExitCode);
    }

    [Fact]
    public async Task Complete_verified_file_is_opened_with_passthrough_and_read_with_no_READ_at_the_daemon()
    {
        // The default block size, so the manifest's per-block CRCs check every fetched block end to end.
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"), new() { ["HCPMODELFS_BLOCK_SIZE"] = "8MiB" });
        var (name, _, _) = Model.Files[1];
        var path = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, name);
        Assert.Equal(Model.Sha256(name), (await Run("sha256sum", path)).StandardOutput[..64]);
        await WaitClosedAsync(path);
        var reads = await XAttrAsync(path, "reads");
        Assert.True(reads > 0, "the cold read reached the daemon as READs");
        Assert.Equal(0, await XAttrAsync(path, "passthrough"));

        // No page cache left to hide behind: whatever is read now comes from the cache file or from the daemon.
        // (That also drops the node, so READs are counted afresh from here.)
        Assert.Equal(0, (await ProcessRunner.ShellAsync("sync && echo 3 > /proc/sys/vm/drop_caches", Bounded)).ExitCode);
        reads = await XAttrAsync(path, "reads");
        Assert.Equal(Model.Sha256(name), (await Run("sha256sum", path)).StandardOutput[..64]);
        Assert.Equal(1, await XAttrAsync(path, "passthrough"));
        var mmap = await ProcessRunner.ShellAsync(
            $"python3 -c \"import hashlib,mmap; f=open('{path}','rb'); print(hashlib.sha256(mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)).hexdigest())\"", Bounded);
        Assert.Equal(Model.Sha256(name), mmap.StandardOutput.Trim());
        Assert.Equal(reads, await XAttrAsync(path, "reads"));
    }

    [Fact]
    public async Task Partially_cached_file_is_not_passed_through_and_reads_reach_the_daemon()
    {
        await using var daemon = await StartAsync(_scratch.NewDirectory("cache"));
        var (name, size, _) = Model.Files[2];
        var path = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, name);
        var lastBlock = (size - 1) / BlockSize * BlockSize / 4096;
        Assert.Equal(0, (await Run("dd", $"if={path}", "of=/dev/null", "bs=4096", $"skip={lastBlock}", "count=1")).ExitCode);
        await WaitClosedAsync(path);
        var reads = await XAttrAsync(path, "reads");

        Assert.Equal(Model.Sha256(name), (await Run("sha256sum", path)).StandardOutput[..64]);
        Assert.Equal(0, await XAttrAsync(path, "passthrough"));
        Assert.True(await XAttrAsync(path, "reads") > reads, "the second read was not served by READs");
    }

    /// <summary>Waits (bounded) until the daemon has the RELEASE of every handle: close(2) returns before it arrives.</summary>
    private static async Task WaitClosedAsync(string path)
    {
        var deadline = Stopwatch.StartNew();
        while (await XAttrAsync(path, "opens") != 0)
        {
            Assert.True(deadline.Elapsed < Bounded, $"{path} still has open handles at the daemon");
            await Task.Yield();
        }
    }

    private static async Task<long> XAttrAsync(string path, string name)
    {
        var result = await Run("getfattr", "--only-values", "-n", "user.hcpmodelfs." + name, path);
        Assert.True(result.ExitCode == 0, result.ToString());
        return long.Parse(result.StandardOutput.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Each test's objects go when it ends: the test RGW keeps everything in RAM.</summary>
    private async Task<ModelFsDaemon> StartAsync(string cacheDir, Dictionary<string, string>? extra = null)
    {
        var env = _rgw.StoreEnvironment(Proxy.Endpoint, Prefix, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MODEL_CACHE_DIR"] = cacheDir,
            ["HCPMODELFS_BLOCK_SIZE"] = "4MiB",
            // These tests are about the store alone; a missing model must not go looking for huggingface.co.
            ["HCPMODELFS_HUB_INGEST"] = "off",
        });
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        return await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), env);
    }


    /// <summary>A GET of a model file's bytes (not the manifest, which is metadata).</summary>
    private static bool IsFileGet(ProxyRequest r) =>
        FaultRule.DataGet(r) && !(r.Key ?? string.Empty).EndsWith("/.hcpmodelfs/manifest.json", StringComparison.Ordinal);

    private static Task<ProcessResult> Run(string file, params string[] arguments) => ProcessRunner.RunAsync(file, arguments);
}
