using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using HcpModelFs.FuseTestHost;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 4: kill -9 at seeded points during a mount-driven ingest, a `prefetch` and an `upload`. A kill point
/// is the n-th write of the operation's model reaching the fault proxy (n drawn from [1, writes of a clean run], so
/// every step from the first object to the manifest and the ref is a candidate), held before the store or landed
/// with its answer withheld. Each kill is on a fresh model; every later run is a fresh process that resumes (or starts
/// over) everything not yet committed, so models are killed again while they resume. After every kill the store holds
/// no manifest whose objects are missing or differ (<see cref="StoreConsistency"/> hashes every object), readers during
/// the runs and after the last one compare every byte, and each model ends committed (manifest and HEAD ref).
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
public sealed class CrashScenarioTests(RgwFixture rgw)
{
    private const string Org = "acme-crash";
    private static readonly SemaphoreSlim CalibrationGate = new(1, 1);
    private static int? _ingestWrites;
    private static readonly IReadOnlyList<FakeHubFile> HubFiles =
        SyntheticModel.Create(shardCount: 2, tensorBytesPerShard: 6L << 20, seed: 13, includeOddNames: true);

    [Fact]
    public async Task Kill_9_during_mount_driven_ingest_never_commits_a_half_model_and_readers_get_exact_bytes()
    {
        var kills = ScenarioSize.Pick(4, 20);
        await using var rig = await CrashRig.StartAsync(rgw, "crash-ingest", Catalog(kills));
        var writes = await CalibrateIngestAsync(rig);
        var random = new Random(1304);
        var cache = rig.Scratch.NewDirectory("cache");
        var unfinished = new List<string>();
        var tally = new Tally();
        for (var i = 0; i <= kills; i++)
        {
            var point = i < kills ? Arm(rig, random, $"ingest-{i}", writes, unfinished) : null;
            var daemon = await rig.MountAsync(cache);
            // Readers of every unfinished model: once through after the last kill, round and round until the kill
            // before it (so a kill always lands under running readers).
            using var stop = new CancellationTokenSource();
            var readers = unfinished.Select(m => VerifyingReader.CycleAsync(
                [.. HubFiles.Select(f => (Path.Combine(daemon.MountPoint, Org, m, f.Path), f.Size, (Action<long, Span<byte>>)f.Content.Fill))],
                point is null ? 1 : int.MaxValue, stop.Token)).ToList();
            var clock = new Stopwatch();
            if (point is not null)
            {
                await CrashRig.WaitReachedAsync(point, daemon.Process);
                clock.Start();
                await CrashRig.KillAsync(daemon.Process);
            }

            // A reader under a killed daemon gets an error at once (the kernel aborts the connection), never a hang.
            tally.Read([.. (await Task.WhenAll(readers).WaitAsync(CrashRig.Bounded)).SelectMany(o => o)], mustComplete: point is null);
            tally.Waited(clock.Elapsed);
            await stop.CancelAsync();
            if (point is null)
            {
                foreach (var model in unfinished)
                {
                    await CrashRig.WaitForAsync(() => rig.IsCommittedAsync(Org, model), $"{model} to be committed", () => daemon.Process.StandardError);
                }
            }

            await rig.ReleaseAsync(daemon);
            await FinishRoundAsync(rig, unfinished, tally, point);
        }

        await AssertModelsAsync(rig, kills, "ingest", HubExpected());
        Record(tally, "4.kill-ingest", "kill -9 of `mount` during a mount-driven ingest (Hub to store), readers on the mount", kills, writes);
    }

    [Fact]
    public async Task Kill_9_during_prefetch_never_commits_a_half_model()
    {
        var kills = ScenarioSize.Pick(4, 20);
        await using var rig = await CrashRig.StartAsync(rgw, "crash-prefetch", Catalog(kills));
        var writes = await CalibrateIngestAsync(rig);
        var random = new Random(1305);
        var cache = rig.Scratch.NewDirectory("cache");
        var unfinished = new List<string>();
        var tally = new Tally();
        for (var i = 0; i <= kills; i++)
        {
            var point = i < kills ? Arm(rig, random, $"ingest-{i}", writes, unfinished) : null;
            var names = unfinished.Select(m => $"{Org}/{m}").ToArray();
            if (point is not null)
            {
                var prefetch = rig.Start(cache, ["prefetch", .. names]);
                await CrashRig.WaitReachedAsync(point, prefetch);
                tally.Waited(await CrashRig.KillAsync(prefetch));
                await prefetch.DisposeAsync();
            }
            else
            {
                var last = await rig.RunAsync(cache, ["prefetch", .. names]);
                Assert.True(last.ExitCode == 0, last.ToString());
            }

            await FinishRoundAsync(rig, unfinished, tally, point);
        }

        // Killed runs leave their scratch caches behind; the next run clears them.
        Assert.Empty(Directory.EnumerateDirectories(cache, "prefetch-*"));
        await ReadBackThroughMountAsync(rig, kills, "ingest", tally, HubFiles.Select(f => (f.Path, f.Size, (Action<long, Span<byte>>)f.Content.Fill)).ToList());
        await AssertModelsAsync(rig, kills, "ingest", HubExpected());
        Record(tally, "4.kill-prefetch", "kill -9 of `prefetch` (Hub to store), then read back through a mount", kills, writes);
    }

    [Fact]
    public async Task Kill_9_during_upload_never_commits_a_half_model()
    {
        var kills = ScenarioSize.Pick(4, 20);
        await using var rig = await CrashRig.StartAsync(rgw, "crash-upload");
        var folder = rig.Scratch.NewDirectory("upload-src");
        var files = UploadFolder(folder);
        var cache = rig.Scratch.NewDirectory("cache");
        var calibration = await rig.RunAsync(cache, "upload", $"{Org}/upload-cal", folder);
        Assert.True(calibration.ExitCode == 0, calibration.ToString());
        var writes = rig.Proxy.Count(r => KillPoint.IsCountedWrite(r, $"{rig.Prefix}{Org}/upload-cal/"));
        var random = new Random(1306);
        var unfinished = new List<string>();
        var tally = new Tally();
        for (var i = 0; i <= kills; i++)
        {
            // Start over what the last kill left: one upload per model, each must succeed.
            foreach (var model in unfinished.ToList())
            {
                var again = await rig.RunAsync(cache, "upload", $"{Org}/{model}", folder);
                Assert.True(again.ExitCode == 0, again.ToString());
            }

            await FinishRoundAsync(rig, unfinished, tally, null);
            if (i == kills)
            {
                break;
            }

            var point = Arm(rig, random, $"upload-{i}", writes, unfinished);
            var upload = rig.Start(cache, "upload", $"{Org}/upload-{i}", folder);
            await CrashRig.WaitReachedAsync(point, upload);
            tally.Waited(await CrashRig.KillAsync(upload));
            await upload.DisposeAsync();
            await FinishRoundAsync(rig, unfinished, tally, point);
        }

        await ReadBackThroughMountAsync(rig, kills, "upload", tally, files.Select(f => (f.Path, f.Size, f.Fill)).ToList());
        await AssertModelsAsync(rig, kills, "upload", files.Select(f => (f.Path, f.Size, f.Sha256)).ToList());
        Record(tally, "4.kill-upload", "kill -9 of `upload` (folder to store), then read back through a mount", kills, writes);
    }

    private static FakeHubCatalog Catalog(int kills)
    {
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        catalog.AddRepo($"{Org}/ingest-cal", HubFiles);
        for (var i = 0; i < kills; i++)
        {
            catalog.AddRepo($"{Org}/ingest-{i}", HubFiles);
        }

        return catalog;
    }

    /// <summary>
    /// Writes of one clean ingest (objects, parts, manifest, ref): the range kill points are drawn from. Measured once
    /// per test run (the count depends on the model, not the prefix) and shared by the ingest and prefetch scenarios.
    /// </summary>
    private static async Task<int> CalibrateIngestAsync(CrashRig rig)
    {
        await CalibrationGate.WaitAsync();
        try
        {
            if (_ingestWrites is null)
            {
                var clean = await rig.RunAsync(rig.Scratch.NewDirectory("cache"), "prefetch", $"{Org}/ingest-cal");
                Assert.True(clean.ExitCode == 0, clean.ToString());
                var writes = rig.Proxy.Count(r => KillPoint.IsCountedWrite(r, $"{rig.Prefix}{Org}/ingest-cal/"));
                Assert.True(writes >= HubFiles.Count + 2, $"a clean ingest made {writes} writes");
                _ingestWrites = writes;
            }

            return _ingestWrites.Value;
        }
        finally
        {
            CalibrationGate.Release();
        }
    }

    private static KillPoint Arm(CrashRig rig, Random random, string model, int writes, List<string> unfinished)
    {
        unfinished.Add(model);
        var point = KillPoint.AtWrite(random, $"{rig.Prefix}{Org}/{model}/", writes);
        rig.Proxy.ClearRules();
        point.Arm(rig.Proxy);
        return point;
    }

    /// <summary>
    /// After a run: what it touched (the models it was given) is consistent; models now committed leave the to-do
    /// list. The whole prefix is checked again at the end.
    /// </summary>
    private static async Task FinishRoundAsync(CrashRig rig, List<string> unfinished, Tally tally, KillPoint? point)
    {
        rig.Proxy.ClearRules();
        foreach (var model in unfinished)
        {
            var report = await rig.AssertConsistentAsync(point is null ? "after a clean run" : $"after the kill at {point}", $"{Org}/{model}/");
            tally.BytesVerified += report.BytesVerified;
        }

        tally.Rounds++;
        if (point is not null)
        {
            tally.Kills++;
        }

        foreach (var model in unfinished.ToList())
        {
            if (await rig.IsCommittedAsync(Org, model))
            {
                unfinished.Remove(model);
            }
        }
    }

    /// <summary>Every model is committed, consistent, and lists exactly the expected files with their digests.</summary>
    private static async Task AssertModelsAsync(CrashRig rig, int kills, string stem, IReadOnlyList<(string Path, long Size, string Sha256)> expected)
    {
        var report = await rig.AssertConsistentAsync("at the end");
        var want = string.Join('\n', expected.Select(f => $"{f.Path} {f.Size} {f.Sha256}").Order(StringComparer.Ordinal));
        for (var i = 0; i < kills; i++)
        {
            var model = $"{stem}-{i}";
            Assert.True(await rig.IsCommittedAsync(Org, model), $"{model} is not committed");
            var revisions = report.Revisions.Where(r => r.ManifestKey.StartsWith($"{rig.Prefix}{Org}/{model}/", StringComparison.Ordinal)).ToList();
            var revision = Assert.Single(revisions);
            Assert.Equal(want, string.Join('\n', revision.Files.Select(f => $"{f.Path} {f.Size} {f.Sha256}").Order(StringComparer.Ordinal)));
        }
    }

    /// <summary>Readers after the last run: a mount (Hub ingest off, so only the store answers) reads every file of every model.</summary>
    private static async Task ReadBackThroughMountAsync(
        CrashRig rig, int kills, string stem, Tally tally, IReadOnlyList<(string Path, long Size, Action<long, Span<byte>> Fill)> files)
    {
        var daemon = await rig.MountAsync(rig.Scratch.NewDirectory("cache"), new() { ["HCPMODELFS_HUB_INGEST"] = "off" });
        var readers = Enumerable.Range(0, kills).SelectMany(i => files.Select(f =>
            VerifyingReader.ReadAsync(Path.Combine(daemon.MountPoint, Org, $"{stem}-{i}", f.Path), f.Size, f.Fill))).ToList();
        tally.Read(await Task.WhenAll(readers).WaitAsync(CrashRig.Bounded), mustComplete: true);
        await rig.ReleaseAsync(daemon);
    }

    private static List<(string Path, long Size, string Sha256)> HubExpected() =>
        HubFiles.Select(f => (f.Path, f.Size, f.Sha256)).ToList();

    private static List<(string Path, long Size, string Sha256, Action<long, Span<byte>> Fill)> UploadFolder(string folder)
    {
        var spec = new (string Path, long Size, ulong Seed)[]
        {
            ("config.json", 2_345, 60), ("model-00001-of-00002.safetensors", (3L << 20) + 11, 61),
            ("model-00002-of-00002.safetensors", (2L << 20) + 5, 62), ("nested/tokenizer.json", 300_000, 63), ("README.md", 99, 64),
        };
        var files = new List<(string, long, string, Action<long, Span<byte>>)>();
        foreach (var (path, size, seed) in spec)
        {
            var bytes = new byte[size];
            SyntheticContent.Fill(seed, 0, bytes);
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
            files.Add((path, size, Convert.ToHexStringLower(SHA256.HashData(bytes)), (offset, span) => SyntheticContent.Fill(seed, offset, span)));
        }

        return files;
    }

    private static void Record(Tally tally, string scenario, string description, int kills, int writes)
    {
        Assert.Equal(kills, tally.Kills);
        Assert.Equal(0, tally.WrongChunks);
        ReliabilityRecord.Add(new ReliabilityRow(
            scenario, description, tally.Rounds, tally.Kills, tally.BytesVerified, tally.WrongChunks, tally.WorstWait,
            string.Create(CultureInfo.InvariantCulture,
                $"{ScenarioSize.Name}: {kills} kill points (seeded) among the {writes} writes of a clean run; {tally.ReadsCut} reads cut short by a kill, none wrong")));
    }

    /// <summary>The scenario's figures, counted where things happened.</summary>
    private sealed class Tally
    {
        public int Rounds { get; set; }

        public int Kills { get; set; }

        public long BytesVerified { get; set; }

        public long WrongChunks { get; private set; }

        public int ReadsCut { get; private set; }

        public TimeSpan WorstWait { get; private set; }

        public void Waited(TimeSpan elapsed) => WorstWait = elapsed > WorstWait ? elapsed : WorstWait;

        public void Read(IReadOnlyList<ReadOutcome> outcomes, bool mustComplete)
        {
            foreach (var outcome in outcomes)
            {
                Assert.True(outcome.WrongChunks == 0, $"a reader got wrong bytes: {outcome}");
                Assert.True(!mustComplete || outcome.Complete, $"a reader failed without a kill: {outcome}");
                BytesVerified += outcome.BytesVerified;
                WrongChunks += outcome.WrongChunks;
                ReadsCut += outcome.Complete ? 0 : 1;
            }
        }
    }
}
