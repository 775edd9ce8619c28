using System.Globalization;
using System.Security.Cryptography;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `cache stats|verify|clear`, `rm --cache`, the cache % of `ls`, and the cache directory lock, next to a real
/// `hcpmodelfs mount` that owns the cache: the looking commands work while it runs, the changing ones refuse, a second
/// daemon refuses, and once the owner is SIGKILLed nothing is left blocking.
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed class CacheCommandsTests : IAsyncLifetime
{
    private const string Org = "acme";
    private const string Model = "cached";
    private const int BlockSize = 1 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private static readonly (string Path, int Size)[] Files = [("config.json", 100), ("model.bin", (2 * BlockSize) + 5)];
    private readonly MountTestScratch _scratch;
    private readonly Cli _cli;

    public CacheCommandsTests(RgwFixture rgw)
    {
        _scratch = new MountTestScratch(rgw, $"cmdc-{Guid.NewGuid():N}/");
        _cli = new Cli(rgw, _scratch.Prefix, _scratch.NewDirectory("cache"));
    }

    public async Task InitializeAsync()
    {
        var folder = _scratch.NewDirectory("model");
        foreach (var (path, size) in Files)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, path), RandomNumberGenerator.GetBytes(size));
        }

        var upload = await _cli.RunAsync("upload", $"{Org}/{Model}", folder);
        Assert.True(upload.ExitCode == 0, upload.ToString());
    }

    public Task DisposeAsync() => _scratch.CleanUpAsync();

    [Fact]
    public async Task Looking_works_while_a_daemon_owns_the_cache_changing_is_refused_and_a_killed_owner_blocks_nothing()
    {
        var cacheDir = Path.GetFullPath(_cli.CacheDirectory);
        await using (var daemon = await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt"), _cli.Environment()))
        {
            foreach (var (path, _) in Files)
            {
                var read = await ProcessRunner.RunAsync("cat", Path.Combine(daemon.MountPoint, Org, Model, path));
                Assert.True(read.ExitCode == 0, read.ToString());
            }

            // Read-only looks while the daemon runs.
            var listed = Cli.Json(await _cli.RunAsync("ls", Org, "--json")).GetProperty("models").EnumerateArray().Single();
            Assert.Equal(100, listed.GetProperty("cached_percent").GetInt32());
            var stats = Cli.Json(await _cli.RunAsync("cache", "stats", "--json"));
            Assert.Equal(cacheDir, stats.GetProperty("directory").GetString());
            Assert.Equal(2, stats.GetProperty("files").GetInt32());
            Assert.Equal(Files.Sum(f => (long)f.Size), stats.GetProperty("bytes_used").GetInt64());
            Assert.True(stats.GetProperty("free_disk").GetInt64() > 0);
            var model = Assert.Single(stats.GetProperty("models").EnumerateArray());
            Assert.Equal(($"{Org}/{Model}", 2), (model.GetProperty("model").GetString(), model.GetProperty("files").GetInt32()));
            Assert.Matches(@"(?m)^used:\s+\S+ in 2 cached files$", Cli.Ok(await _cli.RunAsync("cache", "stats")));

            // Changes need the lock the daemon holds.
            var pid = daemon.Process.Id.ToString(CultureInfo.InvariantCulture);
            foreach (var (verb, args) in new[] { ("cache clear", new[] { "cache", "clear" }), ("cache verify", ["cache", "verify"]), ("rm", ["rm", $"{Org}/{Model}", "--cache"]) })
            {
                var line = _cli.OneLineError(await _cli.RunAsync(args), 1, verb);
                Assert.Contains($"the cache directory {cacheDir} is in use by another hcpmodelfs process (pid {pid})", line, StringComparison.Ordinal);
            }

            // A second daemon on the same directory refuses at start, in one line naming it.
            var second = await ProcessRunner.RunAsync("dotnet", [NotifyingDaemon.Dll, "mount", _scratch.NewDirectory("mnt2")], Bounded, _cli.Environment());
            Assert.True(second.ExitCode == 1, second.ToString());
            var error = Assert.Single(second.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"{cacheDir} is in use by another hcpmodelfs process (pid {pid})", error, StringComparison.Ordinal);
            Assert.Equal(2, CountCacheFiles()); // the refused daemon touched nothing

            daemon.Process.Signal(9);
            Assert.True(await daemon.Process.WaitForExitAsync(Bounded));
        }

        // The kernel dropped the killed owner's flock: a new daemon starts on the same directory.
        await using (var successor = await ModelFsDaemon.StartAsync(_scratch.NewDirectory("mnt3"), _cli.Environment()))
        {
            Assert.Equal(0, await successor.StopAsync(Bounded));
        }

        ReliabilityRecord.Add(new ReliabilityRow("6.one-cache-two-daemons",
            "second daemon and 3 changing commands on a held cache dir; then a SIGKILLed holder's lock",
            Iterations: 5, FaultsInjected: 1, BytesVerified: 0, Failures: 0, WorstTimeToError: null,
            Note: "4 refusals in one line naming dir and pid; the refused daemon touched nothing; the successor started"));

        var verified = Cli.Json(await _cli.RunAsync("cache", "verify", "--json"));
        Assert.Equal((2, 4L, 0L), (verified.GetProperty("objects").GetInt32(), verified.GetProperty("blocks_checked").GetInt64(), verified.GetProperty("blocks_bad").GetInt64()));

        CorruptSecondBlockOfTheLargestFile();
        var bad = await _cli.RunAsync("cache", "verify");
        Assert.True(bad.ExitCode == 1, bad.ToString());
        Assert.Contains("checked 4 blocks of 2 files", bad.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1 bad (dropped", bad.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, (await _cli.RunAsync("cache", "verify")).ExitCode); // the bad block is gone, the rest intact

        var removed = Cli.Json(await _cli.RunAsync("rm", $"{Org}/{Model}", "--cache", "--json")).GetProperty("cache");
        Assert.Equal(2, removed.GetProperty("objects").GetInt32());
        Assert.Equal(0, Cli.Json(await _cli.RunAsync("cache", "stats", "--json")).GetProperty("files").GetInt32());
        Assert.Contains("removed 0 cached files", Cli.Ok(await _cli.RunAsync("cache", "clear")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cache_commands_on_a_missing_directory_fail_in_one_line()
    {
        var missing = Path.Combine(_cli.CacheDirectory, "does-not-exist");
        foreach (var sub in new[] { "stats", "verify", "clear" })
        {
            var line = _cli.OneLineError(await _cli.RunAsync("cache", sub, "--cache-dir", missing), 1, "cache " + sub);
            Assert.Contains($"no cache directory at {missing}", line, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(missing));
    }

    private int CountCacheFiles() => Directory.EnumerateFiles(Path.Combine(_cli.CacheDirectory, "objects")).Count(f => !f.EndsWith(".meta", StringComparison.Ordinal));

    private void CorruptSecondBlockOfTheLargestFile()
    {
        var data = Directory.EnumerateFiles(Path.Combine(_cli.CacheDirectory, "objects"))
            .Where(f => !f.EndsWith(".meta", StringComparison.Ordinal))
            .MaxBy(f => new FileInfo(f).Length)!;
        using var handle = File.OpenHandle(data, FileMode.Open, FileAccess.ReadWrite);
        var bytes = new byte[16];
        RandomAccess.Read(handle, bytes, BlockSize + 1000);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= 0x5A;
        }

        RandomAccess.Write(handle, bytes, BlockSize + 1000);
    }
}
