using System.Diagnostics;
using System.Globalization;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Reliability;
using HcpModelFs.Testing.Secrets;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 9. Every process a test runs is scanned for the run's secrets as it ends (SecretScanner, in
/// ProcessRunner and DaemonProcess; scripts/scan-secrets.sh scans the suite's log). This scenario drives the daemon
/// and the commands through the failures most likely to print a credential, at the most verbose log level, and
/// shows that the scanner does catch a planted secret. It also checks what the mount promises other users: files
/// 0444, directories 0555, allow_other with default_permissions.
/// </summary>
[Collection(RgwFixture.CollectionName)]
[Trait("Category", "Reliability")]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class SecretsScenarioTests(RgwFixture rgw) : IAsyncLifetime
{
    private const string WrongSecret = "hcpmodelfs-wrong-secret-key-0000000000";
    private HostileMount? _mount;
    private PublishedModel? _published;

    private HostileMount Mount => _mount!;

    public async Task InitializeAsync()
    {
        SecretScanner.Register(WrongSecret, "a wrong RGW secret key");
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        catalog.AddRepo("acme-hub/private-llm", SyntheticModel.Create(shardCount: 1, tensorBytesPerShard: 64 * 1024, seed: 5, includeOddNames: false), FakeRepoVisibility.Private);
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
    public async Task Failures_likely_to_print_credentials_print_none_even_at_the_most_verbose_log_level()
    {
        var verbose = new Dictionary<string, string>(StringComparer.Ordinal) { ["HCPMODELFS_LOG_LEVEL"] = "Verbose" };
        var outputs = new List<(string What, string Text)>();

        // A wrong secret key: every store request is refused (403 SignatureDoesNotMatch).
        var badKey = Mount.Environment(new(verbose) { ["HCP_SECRET_KEY"] = WrongSecret });
        var check = await ProcessRunner.RunAsync("dotnet", [ModelFsDaemon.Dll, "check", "--env-file", "/nonexistent/.env"], HostileMount.Bounded, badKey);
        Assert.True(check.ExitCode == 1, check.ToString());
        outputs.Add(("check with a wrong secret key", check.StandardOutput + check.StandardError));
        outputs.Add(("mount with a wrong secret key", await RunMountAsync(badKey, "ls -R {0} ; cat {0}/acme/tiny-llm/config.json")));

        // A token the Hub does not know: 401 for a model the store lacks.
        var badToken = Mount.Environment(new(verbose) { ["HF_TOKEN"] = ContractCatalog.UnknownToken });
        outputs.Add(("mount with an unknown Hub token", await RunMountAsync(badToken, "ls {0}/acme-hub/private-llm ; cat {0}/acme-hub/private-llm/config.json")));
        var prefetch = await ProcessRunner.RunAsync("dotnet", [ModelFsDaemon.Dll, "prefetch", "acme-hub/private-llm", "--env-file", "/nonexistent/.env"], HostileMount.Bounded, badToken);
        Assert.True(prefetch.ExitCode == 1, prefetch.ToString());
        outputs.Add(("prefetch with an unknown Hub token", prefetch.StandardOutput + prefetch.StandardError));

        // What an operator runs with every secret set: `config show` (text and JSON) and a passing `check`.
        var good = Mount.Environment(verbose);
        foreach (var args in (string[][])[["config", "show"], ["config", "show", "--json"], ["check"], ["check", "--json"]])
        {
            var result = await ProcessRunner.RunAsync("dotnet", [ModelFsDaemon.Dll, .. args, "--env-file", "/nonexistent/.env"], HostileMount.Bounded, good);
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result}");
            outputs.Add((string.Join(' ', args), result.StandardOutput + result.StandardError));
        }

        // The scanner already checked each process as it ended; say it once more here, with what was scanned.
        var hits = outputs.SelectMany(o => SecretScanner.Scan(o.Text).Select(h => $"{o.What}: {h}")).ToList();
        Assert.True(hits.Count == 0, string.Join('\n', hits));
        // The failures were the ones meant: the store refused the key, the Hub refused the token.
        Assert.Contains(outputs, o => o.What.StartsWith("check with", StringComparison.Ordinal) && (o.Text.Contains("403", StringComparison.Ordinal) || o.Text.Contains("denied", StringComparison.OrdinalIgnoreCase)));
        Assert.Contains(outputs, o => o.What == "mount with an unknown Hub token" && o.Text.Contains("HF_TOKEN", StringComparison.Ordinal));
        Assert.Contains(outputs, o => o.What == "config show" && o.Text.Contains("HCP_SECRET_KEY", StringComparison.Ordinal));
        Assert.True(Mount.Hub.Requests.Any(r => r.HadAuthorization && r.Status == 401), "the Hub never refused a token");
        Assert.True(Mount.Proxy.Requests.Any(r => r.Status == 403), "the store never refused a key");
        var scanned = outputs.Sum(o => (long)o.Text.Length);
        ReliabilityRecord.Add(new ReliabilityRow("9.secrets", "daemon and commands through 403, 401, config show, check at Verbose; every test process scanned",
            outputs.Count, Mount.Proxy.Count(r => r.Status == 403) + Mount.Hub.Requests.Count(r => r.Status == 401), 0, 0, null,
            string.Create(CultureInfo.InvariantCulture, $"{SecretScanner.Secrets.Count} known secrets, {scanned} characters of output scanned, 0 hits")));
    }

    [Fact]
    public async Task The_scanner_fails_a_test_whose_process_prints_a_known_secret()
    {
        // Planted through each path the scanner guards: a command's output, a daemon's stderr, a log file.
        var command = await Assert.ThrowsAsync<SecretLeakException>(() =>
            ProcessRunner.RunAsync("bash", ["-c", $"echo \"key: {SecretScanner.RgwSecretKey}\""], TimeSpan.FromSeconds(30)));
        Assert.Single(command.Hits);
        Assert.DoesNotContain(SecretScanner.RgwSecretKey, command.Message, StringComparison.Ordinal);
        Assert.Contains("the RGW secret key", command.Message, StringComparison.Ordinal);

        var daemon = DaemonProcess.Start("bash", ["-c", $"echo 'Authorization: Bearer {ContractCatalog.Token}' >&2; echo READY; exec sleep 60"]);
        await daemon.WaitForLineAsync("READY", TimeSpan.FromSeconds(30));
        var leaked = await Assert.ThrowsAsync<SecretLeakException>(async () => await daemon.DisposeAsync());
        Assert.Contains("a fake Hub token", leaked.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ContractCatalog.Token, leaked.Message, StringComparison.Ordinal);

        var log = Path.Combine(Mount.Scratch.NewDirectory("log"), "suite.log");
        await File.WriteAllTextAsync(log, $"ok\nS3_ACCESS_KEY_ID={SecretScanner.RgwAccessKey}\n");
        var script = Path.Combine(RepoPaths.Root, "scripts", "scan-secrets.sh");
        var scan = await ProcessRunner.RunUnscannedAsync("bash", [script, log], TimeSpan.FromSeconds(30));
        Assert.True(scan.ExitCode == 1, scan.ToString());
        Assert.Contains("the RGW access key", scan.StandardOutput, StringComparison.Ordinal);
        await File.WriteAllTextAsync(log, "ok\n");
        Assert.Equal(0, (await ProcessRunner.RunAsync("bash", [script, log], TimeSpan.FromSeconds(30))).ExitCode);
    }

    [Fact]
    public async Task Files_are_0444_directories_0555_and_the_mount_is_allow_other_with_default_permissions()
    {
        var daemon = await Mount.StartDaemonAsync();
        var options = (await File.ReadAllLinesAsync("/proc/mounts")).Select(l => l.Split(' ')).Single(f => f.Length > 3 && f[1] == daemon.MountPoint);
        Assert.StartsWith("fuse", options[2], StringComparison.Ordinal);
        var flags = options[3].Split(',');
        Assert.Contains("ro", flags);
        Assert.Contains("allow_other", flags);
        Assert.Contains("default_permissions", flags);
        Assert.Contains("nosuid", flags);
        Assert.Contains("nodev", flags);

        var modes = await ProcessRunner.ShellAsync($"cd '{daemon.MountPoint}' && find . -printf '%y %m %p\\n'");
        Assert.True(modes.ExitCode == 0, modes.ToString());
        var entries = modes.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 3)).ToList();
        Assert.Contains(entries, e => e[0] == "f");
        Assert.Contains(entries, e => e[2] == "./acme/tiny-llm/nested");
        var wrong = entries.Where(e => e[0] == "f" ? e[1] != "444" : e[0] == "d" ? e[1] != "555" : true).ToList();
        Assert.True(wrong.Count == 0, "wrong modes:\n" + string.Join('\n', wrong.Select(e => string.Join(' ', e))));

        // Another user reads (allow_other) and, like root, cannot write (read-only, mode bits checked by the kernel).
        var file = Path.Combine(daemon.MountPoint, PublishedModel.Org, PublishedModel.Name, "config.json");
        var other = await ProcessRunner.RunAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "sha256sum", file], TimeSpan.FromSeconds(30));
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Equal(_published!.Sha256("config.json"), other.StandardOutput[..64]);
        var write = await ProcessRunner.RunAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "bash", "-c", $"echo x >> '{file}'"], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, write.ExitCode);
        var rootWrite = await ProcessRunner.ShellAsync($"echo x >> '{file}'");
        Assert.Contains("Read-only file system", rootWrite.StandardError, StringComparison.Ordinal);
        ReliabilityRecord.Add(new ReliabilityRow("9.permissions", "mount options and modes through the mount; another uid reads, nobody writes",
            entries.Count, 0, new FileInfo(Path.Combine(_published.Directory, "config.json")).Length, 0, null,
            "ro,nosuid,nodev,allow_other,default_permissions; files 0444, dirs 0555"));
    }

    /// <summary>
    /// Runs `hcpmodelfs mount` (bounded) and the shell commands against it whether or not it got ready, stops it and
    /// returns everything it printed (disposing it scans that for secrets).
    /// </summary>
    private async Task<string> RunMountAsync(Dictionary<string, string> environment, string commands)
    {
        var mountPoint = Mount.Scratch.NewDirectory("mnt");
        var env = new Dictionary<string, string>(environment, StringComparer.Ordinal) { ["HCPMODELFS_METRICS_LISTEN"] = "off" };
        var process = DaemonProcess.Start("dotnet", [ModelFsDaemon.Dll, "mount", mountPoint, "--env-file", "/nonexistent/.env"], env);
        try
        {
            var ready = Stopwatch.StartNew();
            while (!process.HasExited && !process.StandardError.Contains("Serving ", StringComparison.Ordinal) && ready.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }

            string extra = string.Empty;
            if (!process.HasExited)
            {
                var run = await ProcessRunner.ShellAsync(string.Format(CultureInfo.InvariantCulture, commands, $"'{mountPoint}'"), HostileMount.Bounded);
                extra = run.StandardOutput + run.StandardError;
                await process.StopAsync(TimeSpan.FromSeconds(30));
            }

            return process.StandardOutput + process.StandardError + extra;
        }
        finally
        {
            await process.DisposeAsync();
            await MountCleanup.EnsureUnmountedAsync(mountPoint);
        }
    }
}
