using System.Globalization;
using System.Text.Json;
using HcpModelFs.FuseTestHost;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 4, cache side: SIGKILL of `mount` while two readers cycle through a model three times the size of
/// the cache limit, so nearly every block fetched evicts an object (trash renames, unlinks, sidecar writes in flight).
/// The kill point is the n-th data GET at the proxy (seeded, past the point where the cache is full). After each kill
/// `hcpmodelfs cache verify` on the same directory finds nothing bad, and the next daemon on it reads every byte right.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
public sealed class EvictionCrashScenarioTests(RgwFixture rgw)
{
    private const int MiB = 1 << 20;
    private static readonly IReadOnlyList<(string Path, long Size, ulong Seed)> Files =
    [
        ("model-00001-of-00004.safetensors", (3L * MiB) + 101, 71),
        ("model-00002-of-00004.safetensors", (3L * MiB) + 202, 72),
        ("model-00003-of-00004.safetensors", (3L * MiB) + 303, 73),
        ("model-00004-of-00004.safetensors", (3L * MiB) + 404, 74),
        ("config.json", 1_234, 75),
    ];

    [Fact]
    public async Task Kill_9_during_cache_eviction_leaves_a_cache_that_verifies_and_reads_correctly()
    {
        var kills = ScenarioSize.Pick(3, 20);
        await using var rig = await CrashRig.StartAsync(rgw, "crash-evict");
        using (var model = await PublishedModel.PublishAsync(rig.Store, rig.Prefix, Files))
        {
            Assert.Equal(Files.Count, model.Manifest.Files.Count);
        }

        var cache = rig.Scratch.NewDirectory("cache");
        var random = new Random(1307);
        var modelKeys = $"{rig.Prefix}{PublishedModel.Org}/{PublishedModel.Name}/";
        long bytesVerified = 0;
        long blocksChecked = 0;
        var evictions = 0;
        var cut = 0;
        var worst = TimeSpan.Zero;
        for (var i = 0; i <= kills; i++)
        {
            // The cache holds 4 blocks; a pass reads 13: from the 5th GET on, each one evicts.
            var point = i < kills ? KillPoint.AtRead(random, modelKeys, 5, 30) : null;
            rig.Proxy.ClearRules();
            point?.Arm(rig.Proxy);
            var daemon = await rig.MountAsync(cache, new() { ["MODEL_CACHE_MAX_SIZE"] = "4MiB", ["HCPMODELFS_LOG_LEVEL"] = "Debug" });
            var dir = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name);
            using var stop = new CancellationTokenSource();
            var readers = new[] { CycleAsync(dir, Files, point is null ? 2 : int.MaxValue, stop.Token), CycleAsync(dir, [.. Files.Reverse()], point is null ? 2 : int.MaxValue, stop.Token) };
            try
            {
                if (point is not null)
                {
                    await CrashRig.WaitReachedAsync(point, daemon.Process);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    await CrashRig.KillAsync(daemon.Process);
                    var outcomes = (await Task.WhenAll(readers).WaitAsync(CrashRig.Bounded)).SelectMany(o => o).ToList();
                    worst = clock.Elapsed > worst ? clock.Elapsed : worst;
                    Assert.All(outcomes, o => Assert.True(o.WrongChunks == 0, $"a reader got wrong bytes: {o}"));
                    bytesVerified += outcomes.Sum(o => o.BytesVerified);
                    cut += outcomes.Count(o => !o.Complete);
                }
                else
                {
                    var outcomes = (await Task.WhenAll(readers).WaitAsync(CrashRig.Bounded)).SelectMany(o => o).ToList();
                    Assert.All(outcomes, o => Assert.True(o.Complete && o.WrongChunks == 0, $"a reader failed: {o}"));
                    bytesVerified += outcomes.Sum(o => o.BytesVerified);
                    Assert.Equal(0, await daemon.StopAsync(CrashRig.Bounded));
                }
            }
            finally
            {
                await stop.CancelAsync();
            }

            evictions += CountOccurrences(daemon.Process.StandardError, "Evicted cached object");
            await rig.ReleaseAsync(daemon);
            blocksChecked += await VerifyCacheAsync(rig, cache, point is null ? "after the last run" : $"after the kill at {point}");
        }

        Assert.True(evictions >= kills, $"only {evictions} evictions happened");
        ReliabilityRecord.Add(new ReliabilityRow(
            "4.kill-eviction", "kill -9 of `mount` while readers force cache eviction (limit 4 MiB, model 12 MiB); `cache verify` after each",
            kills + 1, kills, bytesVerified, 0, worst,
            string.Create(CultureInfo.InvariantCulture,
                $"{ScenarioSize.Name}: {kills} kill points (seeded GET counts); {evictions} evictions, {blocksChecked} cached blocks verified, {cut} reads cut short, none wrong")));
    }

    private static Task<List<ReadOutcome>> CycleAsync(string dir, IEnumerable<(string Path, long Size, ulong Seed)> files, int passes, CancellationToken stop) =>
        VerifyingReader.CycleAsync(
            [.. files.Select(f => (Path.Combine(dir, f.Path), f.Size, (Action<long, Span<byte>>)((offset, span) => SyntheticContent.Fill(f.Seed, offset, span))))],
            passes, stop);

    /// <summary>`hcpmodelfs cache verify` on the directory must pass; returns the blocks it checked.</summary>
    private static async Task<long> VerifyCacheAsync(CrashRig rig, string cache, string when)
    {
        var result = await ProcessRunner.RunAsync(
            "dotnet", [Testing.Fuse.ModelFsDaemon.Dll, "cache", "verify", "--json", "--env-file", "/nonexistent/.env"], CrashRig.Bounded, rig.Environment(cache));
        Assert.True(result.ExitCode == 0, $"{when}: {result}");
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(0, json.RootElement.GetProperty("blocks_bad").GetInt64());
        return json.RootElement.GetProperty("blocks_checked").GetInt64();
    }

    private static int CountOccurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
