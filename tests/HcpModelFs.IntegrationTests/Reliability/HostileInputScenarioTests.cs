using System.Diagnostics;
using HcpModelFs.Core.Catalog;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 8, counted on a real mount: hostile lookup names from another process, hostile store contents
/// written straight into RGW, hostile Hub answers during a mount-driven ingest. The daemon must answer each with
/// ENOENT/ENAMETOOLONG/EIO (or ignore it with one log line), never crash, never reach the network for a name that
/// cannot be a repo id, never show a path outside the model, and never commit a model the Hub lied about.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class HostileInputScenarioTests(RgwFixture rgw) : IAsyncLifetime
{
    private const string HubOrg = "acme-hub";
    private static readonly string[] HubModels = ["bad-json", "missing-fields", "lying-length", "wrong-sha", "endless-redirects"];
    private HostileMount? _mount;
    private PublishedModel? _published;
    private readonly Dictionary<string, IReadOnlyList<FakeHubFile>> _hubFiles = new(StringComparer.Ordinal);

    private HostileMount Mount => _mount!;

    public async Task InitializeAsync()
    {
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        var seed = 40UL;
        foreach (var model in HubModels)
        {
            var files = SyntheticModel.Create(shardCount: 1, tensorBytesPerShard: 256 * 1024, seed: seed++, includeOddNames: false);
            catalog.AddRepo($"{HubOrg}/{model}", files);
            _hubFiles[model] = files;
        }

        _mount = await HostileMount.StartAsync(rgw, catalog);
        using var store = rgw.CreateStore();
        _published = await PublishedModel.PublishAsync(store, Mount.Prefix, [("config.json", 4321, 30), ("nested/weights.bin", 65536, 31)]);
    }

    public async Task DisposeAsync()
    {
        _published?.Dispose();
        if (_mount is not null)
        {
            await _mount.DisposeAsync();
        }
    }

    [Fact]
    public async Task Hostile_lookup_names_at_every_depth_are_ENOENT_or_ENAMETOOLONG_and_never_reach_the_network()
    {
        var daemon = await Mount.StartDaemonAsync();
        var (root, org, model) = await WarmAsync(daemon.MountPoint);
        var names = LookupFuzz.Names(seed: 1313, randomCount: 120);

        // Only names that cannot be a Hub repo id (ModelName, hf-hub-protocol.md §1.1) must stay off the network: a
        // valid-looking missing org or model may legitimately be looked up in the store and on the Hub.
        var lookups = new List<(string Directory, byte[] Name)>();
        lookups.AddRange(names.Where(n => !LookupFuzz.IsRepoName(n)).Select(n => (root, n)));
        lookups.AddRange(names.Where(n => !LookupFuzz.IsRepoName(n)).Select(n => (org, n)));
        lookups.AddRange(names.Select(n => (Entry: (byte[])[.. "tiny-llm@"u8, .. n], n)).Where(x => !LookupFuzz.IsModelEntry(x.Entry)).Select(x => (org, x.Entry)));
        // Inside a managed model the tree is in memory: no name at all reaches the network.
        lookups.AddRange(names.Select(n => (model, n)));
        lookups.AddRange(names.Select(n => (Path.Combine(model, "nested"), n)));

        var (results, network) = await LookUpCountingAsync(lookups);
        Assert.True(network.Count == 0, $"{network.Count} requests reached the network:\n{string.Join('\n', network.Take(20))}");
        var unexpected = results.Where(r => r.Errno != Expected(r)).ToList();
        Assert.True(unexpected.Count == 0, "unexpected answers:\n" + string.Join('\n', unexpected.Take(20).Select(r => $"{r.Directory}/{r.Printable}: errno {r.Errno}, want {Expected(r)}")));

        // ".." is the kernel's: it names the parent and never reaches the daemon as a name.
        var dotdot = await LookupFuzz.LookUpAsync([(model, ".."u8.ToArray()), (org, ".."u8.ToArray()), (model, "."u8.ToArray())], Mount.Scratch.NewDirectory("fuzz"));
        Assert.Equal(Inode(org), dotdot[0].Inode);
        Assert.Equal(Inode(root), dotdot[1].Inode);
        Assert.Equal(Inode(model), dotdot[2].Inode);

        Assert.False(daemon.Process.HasExited, "the daemon died");
        await AssertPublishedModelExactAsync(model);
        var tooLong = results.Count(r => r.Errno == LookupResult.ENAMETOOLONG);
        var inval = results.Count(r => r.Errno == LookupResult.EINVAL);
        ReliabilityRecord.Add(new ReliabilityRow("8.hostile-names", "fuzzed lookup names at 5 depths, from another process",
            results.Count, results.Count, 0, 0, TimeSpan.FromMilliseconds(results.Max(r => r.Milliseconds)),
            $"seed 1313; {results.Count - tooLong - inval} ENOENT, {tooLong} ENAMETOOLONG (> 255 bytes: the daemon up to 1024, the kernel beyond), {inval} EINVAL; 0 store/Hub requests"));
    }

    [Fact]
    public async Task The_network_count_catches_lookups_that_reach_the_store_or_the_Hub()
    {
        // The guard above is "0 requests": show that the same count sees lookups that do go out.
        var daemon = await Mount.StartDaemonAsync();
        var (root, org, _) = await WarmAsync(daemon.MountPoint);
        var (results, network) = await LookUpCountingAsync(
        [
            (Path.Combine(root, "no-such-org-1"), "some-model"u8.ToArray()),
            (org, "no-such-model-2"u8.ToArray()),
            (org, "tiny-llm@no-such-branch"u8.ToArray()),
        ]);
        Assert.All(results, r => Assert.Equal(LookupResult.ENOENT, r.Errno));
        Assert.True(network.Count >= 3, $"valid-looking missing names made only {network.Count} requests");
        Assert.Contains(network, r => r.StartsWith("hub", StringComparison.Ordinal));
        Assert.Contains(network, r => r.StartsWith("store", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hostile_store_contents_give_EIO_or_are_ignored_with_one_log_line_and_the_daemon_keeps_serving()
    {
        using var store = rgw.CreateStore();
        var layout = new StoreLayout(Mount.Prefix);
        var cases = await HostileStoreContents.WriteAsync(store, layout);
        var (_, hugeFiles) = await HostileStoreContents.WriteHugeAsync(store, layout, "huge-manifest", 10 << 20);
        var daemon = await Mount.StartDaemonAsync(new() { ["HCPMODELFS_HUB_INGEST"] = "off" });
        var orgDir = Path.Combine(daemon.MountPoint, HostileStoreContents.Org);
        var failures = new List<string>();
        var worst = TimeSpan.Zero;
        var good = Path.Combine(orgDir, HostileStoreContents.GoodModel, "config.json");
        var verified = 0L;

        foreach (var hostile in cases)
        {
            Mount.Proxy.ClearLog();
            var dir = Path.Combine(orgDir, hostile.Model);
            var watch = Stopwatch.StartNew();
            // Three lookups and a read of every listed file, as `ls -R; cat` would.
            var run = await ProcessRunner.ShellAsync(
                $"for i in 1 2 3; do ls -la '{dir}' > /dev/null 2>&1; done; cd '{dir}' 2>/dev/null || {{ echo NOTSERVED; exit 0; }}; " +
                "find . -type f -print0 | while IFS= read -r -d '' f; do if cat \"$f\" > /dev/null 2>/tmp/hcpfs-err-$$; then echo \"OK $f\"; else echo \"FAIL $f $(tail -1 /tmp/hcpfs-err-$$)\"; fi; done; " +
                "find . -mindepth 1 -printf '%P\\n' | sed 's/^/ENTRY /'; rm -f /tmp/hcpfs-err-$$", HostileMount.Bounded);
            watch.Stop();
            worst = worst > watch.Elapsed ? worst : watch.Elapsed;
            var output = run.StandardOutput;
            var outcome = Outcome(hostile, output, daemon.Process.StandardError);
            if (outcome is not null)
            {
                failures.Add($"{hostile.Model} ({hostile.Description}): {outcome}\n{output}");
            }

            // Never a request for a key outside the hostile model (a "../" path joined into a key would be one).
            var modelPrefix = layout.ModelPrefix(HostileStoreContents.Org, hostile.Model);
            var outside = Mount.Proxy.Requests.Where(r => r.Key is { } key && !key.StartsWith(modelPrefix, StringComparison.Ordinal)
                && !key.StartsWith(layout.OrgPrefix(HostileStoreContents.Org) + "?", StringComparison.Ordinal) && r.Method == "GET" && r.Query.Length == 0).ToList();
            if (outside.Count > 0)
            {
                failures.Add($"{hostile.Model}: read keys outside the model: {string.Join(", ", outside.Select(r => r.Key))}");
            }

            if (daemon.Process.HasExited)
            {
                failures.Add($"{hostile.Model}: the daemon exited ({daemon.Process.ExitCode})");
                break;
            }

            // Still serving other models after each hostile one.
            var control = await ProcessRunner.ShellAsync($"sha256sum '{good}'");
            if (control.ExitCode != 0 || control.StandardOutput[..64] != HostileStoreContents.Sha(HostileStoreContents.GoodBytes))
            {
                failures.Add($"after {hostile.Model} the sound model is not served: {control}");
            }

            verified += HostileStoreContents.GoodBytes.Length;
        }

        // A 10 MB manifest (about 50k files) is read and listed in bounded time, not refused and not a crash.
        var huge = Stopwatch.StartNew();
        var count = await ProcessRunner.ShellAsync($"find '{Path.Combine(orgDir, "huge-manifest")}' -type f | wc -l; sha256sum '{Path.Combine(orgDir, "huge-manifest", "config.json")}'", HostileMount.Bounded);
        huge.Stop();
        Assert.True(count.ExitCode == 0, count.ToString());
        Assert.Equal(hugeFiles.ToString(System.Globalization.CultureInfo.InvariantCulture), count.StandardOutput.Split('\n')[0].Trim());
        Assert.Contains(HostileStoreContents.Sha(HostileStoreContents.GoodBytes), count.StandardOutput, StringComparison.Ordinal);

        Assert.True(failures.Count == 0, string.Join("\n\n", failures) + "\n--- daemon log:\n" + daemon.Process.StandardError);
        Assert.DoesNotContain("   at ", daemon.Process.StandardError, StringComparison.Ordinal);
        Assert.False(daemon.Process.HasExited);
        ReliabilityRecord.Add(new ReliabilityRow("8.hostile-store", "hostile manifests, refs and objects written into RGW",
            cases.Count + 1, cases.Count + 1, verified, 0, worst,
            $"{cases.Count(c => c.Expect == HostileExpectation.NotServed)} not served (1 log line each), {cases.Count(c => c.Expect == HostileExpectation.ReadFails)} EIO on read, " +
            $"{cases.Count(c => c.Expect == HostileExpectation.ServedCorrectly)} garbage ignored; 10 MB manifest ({hugeFiles} files) listed in {huge.Elapsed.TotalSeconds:F1} s"));
    }

    [Fact]
    public async Task Hostile_Hub_answers_fail_the_ingest_cleanly_and_commit_nothing()
    {
        var hub = Mount.Hub;
        hub.Faults.Add(new FakeHubFault { Kind = FakeHubFaultKind.BadJson, Route = FakeHubRouteKind.Api, PathContains = "/bad-json", Times = int.MaxValue });
        hub.Faults.Add(new FakeHubFault { Kind = FakeHubFaultKind.MissingFields, Route = FakeHubRouteKind.Api, Fields = ["size", "sha"], PathContains = "/missing-fields", Times = int.MaxValue });
        hub.Faults.Add(new FakeHubFault { Kind = FakeHubFaultKind.LyingContentLength, Route = FakeHubRouteKind.Resolve, AfterBytes = 1000, PathContains = "/lying-length/", Times = int.MaxValue });
        foreach (var file in _hubFiles["lying-length"].Where(f => f.IsLfs))
        {
            hub.Faults.Add(new FakeHubFault { Kind = FakeHubFaultKind.LyingContentLength, Route = FakeHubRouteKind.Cdn, AfterBytes = 1000, PathContains = file.Sha256, Times = int.MaxValue });
        }

        hub.Faults.Add(new FakeHubFault { Kind = FakeHubFaultKind.WrongSha256, Route = FakeHubRouteKind.Api, PathContains = "/wrong-sha", Times = int.MaxValue });
        hub.Faults.Add(new FakeHubFault { Kind = FakeHubFaultKind.EndlessRedirect, Route = FakeHubRouteKind.Resolve, PathContains = "/endless-redirects/", Times = int.MaxValue });
        var daemon = await Mount.StartDaemonAsync();
        using var store = rgw.CreateStore();
        var layout = new StoreLayout(Mount.Prefix);
        var failures = new List<string>();
        var worst = TimeSpan.Zero;
        long verified = 0;
        var outcomes = new Dictionary<string, (int Ok, int Enoent, int Eio)>(StringComparer.Ordinal);
        foreach (var model in HubModels)
        {
            var dir = Path.Combine(daemon.MountPoint, HubOrg, model);
            outcomes[model] = (0, 0, 0);
            foreach (var file in _hubFiles[model])
            {
                var (ok, enoent, eio) = outcomes[model];
                var watch = Stopwatch.StartNew();
                var read = await ProcessRunner.ShellAsync($"sha256sum '{Path.Combine(dir, file.Path)}'", HostileMount.Bounded);
                watch.Stop();
                worst = worst > watch.Elapsed ? worst : watch.Elapsed;
                if (read.ExitCode == 0 && read.StandardOutput[..64] != file.Sha256)
                {
                    failures.Add($"{model}/{file.Path}: wrong bytes");
                }
                else if (read.ExitCode == 0)
                {
                    verified += file.Size;
                    outcomes[model] = (ok + 1, enoent, eio);
                }
                else if (read.StandardError.Contains("No such file", StringComparison.Ordinal))
                {
                    outcomes[model] = (ok, enoent + 1, eio);
                }
                else if (read.StandardError.Contains("Input/output error", StringComparison.Ordinal))
                {
                    outcomes[model] = (ok, enoent, eio + 1);
                }
                else
                {
                    failures.Add($"{model}/{file.Path}: neither ENOENT nor EIO: {read.StandardError.Trim()}");
                }
            }

            // Each lie must bite: a model whose every file reads fine was not attacked at all.
            if (outcomes[model].Ok == _hubFiles[model].Count)
            {
                failures.Add($"{model}: every file read without error; the hostile answer never fired");
            }
        }

        // Every ingest that started has failed (abandoned, or retrying a transient failure) before the store is checked.
        foreach (var model in HubModels)
        {
            await HostileMount.WaitForAsync(() => Task.FromResult(!IngestRunning(daemon.Process.StandardError, model)), $"the ingest of {model} to fail");
        }

        foreach (var model in HubModels)
        {
            var keys = new List<string>();
            await foreach (var entry in store.ListAsync(layout.ModelPrefix(HubOrg, model), null, CancellationToken.None))
            {
                keys.Add(entry.Key);
            }

            var committed = keys.Where(k => k.EndsWith("/.hcpmodelfs/manifest.json", StringComparison.Ordinal) || k.Contains("/.hcpmodelfs/refs/", StringComparison.Ordinal)).ToList();
            if (committed.Count > 0)
            {
                failures.Add($"{model}: committed {string.Join(", ", committed)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n--- daemon log:\n" + daemon.Process.StandardError);
        Assert.False(daemon.Process.HasExited, "the daemon died");
        Assert.DoesNotContain("   at ", daemon.Process.StandardError, StringComparison.Ordinal);
        await AssertPublishedModelExactAsync(Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name));
        var fired = hub.Requests.Count(r => r.Fault is not null);
        Assert.True(fired >= HubModels.Length, $"only {fired} hostile answers were sent");
        ReliabilityRecord.Add(new ReliabilityRow("8.hostile-hub", "bad JSON, missing fields, lying Content-Length, wrong sha256, endless redirects",
            _hubFiles.Values.Sum(f => f.Count), fired, verified, 0, worst,
            "no manifest or ref committed; reads ok/ENOENT/EIO: " + string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value.Ok}/{o.Value.Enoent}/{o.Value.Eio}"))));
    }

    /// <summary>An ingest of the model was started and has not yet been abandoned or retried.</summary>
    private static bool IngestRunning(string log, string model)
    {
        var name = $"{HubOrg}/{model}";
        var started = log.Contains($"Ingest of {name} at", StringComparison.Ordinal);
        var lines = log.Split('\n').Where(l => l.Contains($"Ingest of {name} ", StringComparison.Ordinal) || l.Contains($"Ingest of {name}:", StringComparison.Ordinal)).ToList();
        if (!started || lines.Count == 0)
        {
            return false;
        }

        return !lines.Any(l => l.Contains(" abandoned:", StringComparison.Ordinal) || l.Contains("; retrying in", StringComparison.Ordinal) || l.Contains("does not match", StringComparison.Ordinal));
    }

    private static string? Outcome(HostileCase hostile, string output, string log)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entries = lines.Where(l => l.StartsWith("ENTRY ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
        if (entries.Any(e => e.Split('/').Any(s => s is ".." or "." or "") || e.Contains("etc/passwd", StringComparison.Ordinal)))
        {
            return "a path outside the model is shown";
        }

        switch (hostile.Expect)
        {
            case HostileExpectation.NotServed:
                if (!output.Contains("NOTSERVED", StringComparison.Ordinal))
                {
                    return "served, want ENOENT";
                }

                var logged = log.Split('\n').Count(l => l.Contains(hostile.LogNeedle!, StringComparison.Ordinal) &&
                    (l.Contains(" ERR ", StringComparison.Ordinal) || l.Contains(" WRN ", StringComparison.Ordinal)));
                return logged == 1 ? null : $"{logged} log lines, want 1";
            case HostileExpectation.ReadFails:
                var fails = lines.Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal)).ToList();
                return lines.Any(l => l.StartsWith("OK ", StringComparison.Ordinal)) ? "a lying file was read without error"
                    : fails.Count == 0 ? "no file was read"
                    // A listed object gone from the store is ENOENT, as after `hcpmodelfs rm`; a lying one is EIO.
                    : fails.All(l => l.Contains("Input/output error", StringComparison.Ordinal) || l.Contains("No such file", StringComparison.Ordinal)) ? null : "neither EIO nor ENOENT";
            default:
                return lines.Any(l => l.StartsWith("OK ./config.json", StringComparison.Ordinal)) && entries.SequenceEqual(["config.json"]) ? null : "the sound ref is not served";
        }
    }

    private static int Expected(LookupResult result) => result.Name.Length > 255 ? LookupResult.ENAMETOOLONG : LookupResult.ENOENT;

    private static long Inode(string path)
    {
        var stat = ProcessRunner.RunAsync("stat", "-c", "%i", path).GetAwaiter().GetResult();
        return long.Parse(stat.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Lists root, organisation and model once so their own lookups are done; returns their paths.</summary>
    private static async Task<(string Root, string Org, string Model)> WarmAsync(string mountPoint)
    {
        var org = Path.Combine(mountPoint, PublishedModel.Org);
        var model = Path.Combine(org, PublishedModel.Name);
        var warm = await ProcessRunner.ShellAsync($"ls '{mountPoint}' && ls '{org}' && ls -laR '{model}'");
        Assert.True(warm.ExitCode == 0, warm.ToString());
        return (mountPoint, org, model);
    }

    /// <summary>Runs the lookups and returns what they answered and every store/Hub request made meanwhile.</summary>
    private async Task<(IReadOnlyList<LookupResult> Results, IReadOnlyList<string> Network)> LookUpCountingAsync(IReadOnlyList<(string Directory, byte[] Name)> lookups)
    {
        var proxyBefore = Mount.Proxy.Requests.Count;
        var hubBefore = Mount.Hub.Requests.Count;
        var results = await LookupFuzz.LookUpAsync(lookups, Mount.Scratch.NewDirectory("fuzz"));
        var network = Mount.Proxy.Requests.Skip(proxyBefore).Select(r => $"store {r.Method} {r.Key} {r.Query}")
            .Concat(Mount.Hub.Requests.Skip(hubBefore).Select(r => $"hub {r.Method} {r.Path}")).ToList();
        return (results, network);
    }

    private async Task AssertPublishedModelExactAsync(string modelDir)
    {
        foreach (var (path, _, _) in _published!.Files)
        {
            var sum = await ProcessRunner.ShellAsync($"sha256sum '{Path.Combine(modelDir, path)}'");
            Assert.True(sum.ExitCode == 0, sum.ToString());
            Assert.Equal(_published.Sha256(path), sum.StandardOutput[..64]);
        }
    }
}
