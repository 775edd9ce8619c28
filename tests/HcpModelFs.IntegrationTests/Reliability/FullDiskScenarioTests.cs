using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HcpModelFs.FuseTestHost;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 5: the cache on a tmpfs a quarter the size of each of two files, one read from the store and one
/// ingested from the Hub at the same time, with no size limit set (only the default free-space floor, 10 % of the
/// file system). Readers get every byte, no ENOSPC reaches them, the floor holds (free space sampled throughout), the
/// ingest commits, and after a restart `cache verify` passes and the files read right again. With the floor switched
/// off (HCPMODELFS_TEST_DISABLE_FREE_SPACE_FLOOR=1) the file system does fill up: the floor is what held it, and the
/// readers still get every byte because a cache write that fails for space serves the block uncached.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
public sealed class FullDiskScenarioTests(RgwFixture rgw)
{
    private const int MiB = 1 << 20;
    private const string HubOrg = "acme-full";
    private const string HubModel = "ingested";
    private static readonly long DiskSize = ScenarioSize.Pick(16, 256) * (long)MiB;
    private static readonly long FileSize = DiskSize * 4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cache_on_a_small_filesystem_serves_every_byte_and_keeps_its_free_space_floor(bool floorDisabled)
    {
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        var shard = FakeHubFile.Lfs("model.safetensors", FakeContent.Generated(FileSize + 7, 82));
        var config = FakeHubFile.Regular("config.json", "{\"model_type\": \"llama\"}\n");
        catalog.AddRepo($"{HubOrg}/{HubModel}", [shard, config]);
        await using var rig = await CrashRig.StartAsync(rgw, "full-disk", catalog);
        var stored = ("weights.bin", FileSize + 3, 81UL);
        using (await PublishedModel.PublishAsync(rig.Store, rig.Prefix, [stored]))
        {
        }

        await using var disk = await Tmpfs.MountAsync(DiskSize);
        var cache = Path.Combine(disk.Path, "cache");
        var floor = DiskSize / 10;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal) { ["HCPMODELFS_LOG_LEVEL"] = "Debug" };
        if (floorDisabled)
        {
            extra["HCPMODELFS_TEST_DISABLE_FREE_SPACE_FLOOR"] = "1";
        }

        var daemon = await rig.MountAsync(cache, extra);
        var readers = ReadersOf(daemon, stored, shard, config);
        var clock = Stopwatch.StartNew();
        var (outcomes, minFree) = await SampleFreeSpaceWhileAsync(disk, Task.WhenAll(readers));
        var readTime = clock.Elapsed;
        Assert.All(outcomes, o => Assert.True(o.Complete && o.WrongChunks == 0, $"a reader failed: {o}\n{daemon.Process.StandardError}"));
        Assert.DoesNotContain(outcomes, o => o.Error?.Contains("space", StringComparison.OrdinalIgnoreCase) == true);
        await CrashRig.WaitForAsync(() => rig.IsCommittedAsync(HubOrg, HubModel), "the ingest to commit", () => daemon.Process.StandardError);
        var report = await rig.AssertConsistentAsync("after the ingest");
        Assert.Equal(2, report.Revisions.Count);
        if (floorDisabled)
        {
            // The same run without the floor fills the file system: the floor is what kept it free.
            Assert.True(minFree < floor, $"free space never went below the floor ({minFree} >= {floor}) without it");
            await rig.ReleaseAsync(daemon);
            return;
        }

        // One block of slack: the free space probe and the write it allows are not one atomic step.
        Assert.True(minFree >= floor - MiB, $"free space fell to {minFree} bytes, below the floor of {floor}");
        Assert.Equal(0, await daemon.StopAsync(CrashRig.Bounded));
        var uncached = daemon.Process.StandardError.Split('\n').Count(l => l.Contains("served uncached: no room in the cache", StringComparison.Ordinal));
        Assert.True(uncached > 0, "no block was served uncached: the disk was never full");
        await rig.ReleaseAsync(daemon);
        var verified = await VerifyCacheAsync(rig, cache);

        var restarted = await rig.MountAsync(cache, extra);
        var again = await Task.WhenAll(ReadersOf(restarted, stored, shard, config)).WaitAsync(CrashRig.Bounded);
        Assert.All(again, o => Assert.True(o.Complete && o.WrongChunks == 0, $"a reader failed after the restart: {o}"));
        Assert.Equal(0, await restarted.StopAsync(CrashRig.Bounded));
        await rig.ReleaseAsync(restarted);
        ReliabilityRecord.Add(new ReliabilityRow(
            "5.full-disk",
            "cache on a tmpfs 1/4 the size of each file: read one from the store while ingesting another from the Hub, restart, `cache verify`",
            2, uncached, outcomes.Concat(again).Sum(o => o.BytesVerified) + report.BytesVerified, 0, readTime,
            string.Create(CultureInfo.InvariantCulture,
                $"{ScenarioSize.Name}: {DiskSize / MiB} MiB tmpfs, 2 x {FileSize / MiB} MiB files; lowest free {minFree / 1024} KiB, floor {floor / 1024} KiB; faults = blocks served uncached for want of room; {verified} cached blocks verified after the restart; worst = time to read both")));
    }

    private static Task<ReadOutcome>[] ReadersOf(ModelFsDaemon daemon, (string Path, long Size, ulong Seed) stored, FakeHubFile shard, FakeHubFile config)
    {
        var storeDir = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name);
        var hubDir = Path.Combine(daemon.MountPoint, HubOrg, HubModel);
        return
        [
            VerifyingReader.ReadAsync(Path.Combine(storeDir, stored.Path), stored.Size, (offset, span) => SyntheticContent.Fill(stored.Seed, offset, span)),
            VerifyingReader.ReadAsync(Path.Combine(hubDir, shard.Path), shard.Size, shard.Content.Fill),
            VerifyingReader.ReadAsync(Path.Combine(hubDir, config.Path), config.Size, config.Content.Fill),
        ];
    }

    /// <summary>Samples the file system's free space every few milliseconds until <paramref name="work"/> ends (bounded).</summary>
    private static async Task<(ReadOutcome[] Outcomes, long MinFree)> SampleFreeSpaceWhileAsync(Tmpfs disk, Task<ReadOutcome[]> work)
    {
        var min = long.MaxValue;
        var deadline = Stopwatch.StartNew();
        while (!work.IsCompleted)
        {
            Assert.True(deadline.Elapsed < CrashRig.Bounded, "the readers did not finish in time");
            min = Math.Min(min, disk.Free);
            await Task.WhenAny(work, Task.Delay(5));
        }

        return (await work, Math.Min(min, disk.Free));
    }

    private static async Task<long> VerifyCacheAsync(CrashRig rig, string cache)
    {
        var result = await ProcessRunner.RunAsync(
            "dotnet", [ModelFsDaemon.Dll, "cache", "verify", "--json", "--env-file", "/nonexistent/.env"], CrashRig.Bounded, rig.Environment(cache));
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(0, json.RootElement.GetProperty("blocks_bad").GetInt64());
        return json.RootElement.GetProperty("blocks_checked").GetInt64();
    }
}
