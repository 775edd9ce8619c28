using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.Core.Catalog;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `hcpmodelfs import` run as a process, from a second bucket of the test RGW (behind the fault proxy, which counts
/// the bytes read from the source) into the managed layout of the first.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in IAsyncLifetime.DisposeAsync
public sealed class ImportCommandTests(RgwFixture rgw) : IAsyncLifetime
{
    private const int MiB = 1 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private readonly MountTestScratch _scratch = new(rgw, $"imp-{Guid.NewGuid():N}/");
    private readonly ImportSourceBucket _source = new(rgw, $"src-{Guid.NewGuid():N}/folder/");
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private S3FaultProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        await _source.CreateAsync();
        _proxy = new S3FaultProxy(rgw.Endpoint) { WholeObjectSource = _source.GetWholeAsync };
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _source.CleanUpAsync();
        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task A_folder_is_copied_between_two_RGW_buckets_reading_each_byte_once_and_exports_back_byte_exact()
    {
        await PutAsync("config.json", 20);
        await PutAsync("weights/model-00001.safetensors", (12 * MiB) + 7);
        await PutAsync("tokenizer.json", 300 << 10);
        await _source.PutAsync("README.md", "# not imported"u8.ToArray());
        var keys = _scratch.NewDirectory("import-keys");
        await File.WriteAllTextAsync(Path.Combine(keys, "access"), rgw.AccessKey + "\n");
        await File.WriteAllTextAsync(Path.Combine(keys, "secret"), rgw.SecretKey + "\n");
        var env = Environment();
        env.Remove("HCPMODELFS_SOURCE_ACCESS_KEY");
        env.Remove("HCPMODELFS_SOURCE_SECRET_KEY");
        string[] args = ["import", _source.Url, "acme/imported", "--json", "--revision", "v1", "--part-size", "5MiB", "--parallel", "4",
            "--exclude", "*.md", "--source-access-key-file", Path.Combine(keys, "access"), "--source-secret-key-file", Path.Combine(keys, "secret")];

        var result = await RealCli.RunAsync(env, args);

        Assert.True(result.ExitCode == 0, result.ToString());
        RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey);
        var total = _files.Values.Sum(f => (long)f.Length);
        var json = Json(result);
        Assert.Equal(3, json.GetProperty("files").GetInt32());
        Assert.Equal(total, json.GetProperty("bytes").GetInt64());
        Assert.Equal(total, json.GetProperty("copied_bytes").GetInt64());
        Assert.True(json.GetProperty("ranged_reads").GetBoolean());
        Assert.Equal(total + 1, SourceBytes()); // every byte once, plus the one-byte range probe
        Assert.True(_proxy.Count(r => FaultRule.DataGet(r) && r.Range is null) == 0, "a whole-object GET from a source that honours ranges");
        var commit = json.GetProperty("commit").GetString()!;
        await AssertManifestAsync("imported", commit);

        var target = _scratch.NewDirectory("import-export");
        var export = await RealCli.RunAsync(env, "export", "acme/imported@v1", target);
        Assert.True(export.ExitCode == 0, export.ToString());
        foreach (var (path, bytes) in _files)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(target, "acme", "imported", path)));
        }

        Assert.False(File.Exists(Path.Combine(target, "acme", "imported", "README.md")));
        var info = await RealCli.RunAsync(env, "info", "acme/imported");
        Assert.True(info.ExitCode == 0 && info.StandardOutput.Contains("source:   import", StringComparison.Ordinal), info.ToString());

        _proxy.ClearLog();
        var again = Json(await RealCli.RunAsync(env, args));
        Assert.True(again.GetProperty("already_imported").GetBoolean());
        Assert.Equal((commit, 0L), (again.GetProperty("commit").GetString(), again.GetProperty("copied_bytes").GetInt64()));
        Assert.Equal(0, SourceBytes());
    }

    [Theory]
    [InlineData(FaultKind.IgnoreRange)] // 200 with the whole body
    [InlineData(FaultKind.NotImplemented)] // 501
    [InlineData(FaultKind.RangeNotSatisfiable)] // 416
    public async Task A_source_that_refuses_ranges_is_read_with_one_streamed_GET_per_file(FaultKind refusal)
    {
        await PutAsync("a.bin", (7 * MiB) + 3);
        await PutAsync("b.json", 1000);
        _proxy.AddRule(new FaultRule(refusal) { Match = r => FaultRule.DataGet(r) && r.Range is not null && r.Bucket == ImportSourceBucket.Name });

        var result = await RealCli.RunAsync(Environment(), "import", _source.Url, "acme/norange", "--json", "--part-size", "5MiB");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = Json(result);
        Assert.False(json.GetProperty("ranged_reads").GetBoolean());
        Assert.Equal(1, _proxy.Count(r => FaultRule.DataGet(r) && r.Range is not null)); // the probe only
        Assert.Equal(2, _proxy.Count(r => FaultRule.DataGet(r) && r.Range is null && r.Status == 200)); // one GET per file
        await AssertManifestAsync("norange", json.GetProperty("commit").GetString()!);
    }

    [Fact]
    public async Task Killed_mid_import_a_rerun_resumes_without_reading_finished_files_again()
    {
        foreach (var (name, size) in new[] { ("a.bin", 6 * MiB), ("b.bin", 6 * MiB), ("c.bin", 12 * MiB), ("d.bin", 6 * MiB) })
        {
            await PutAsync(name, size);
        }

        string[] args = ["import", _source.Url, "acme/resumed", "--json", "--part-size", "5MiB", "--parallel", "1"];
        using var process = new Process
        {
            StartInfo = ProcessRunner.CreateStartInfo("dotnet", [ModelFsDaemon.Dll, .. args, "--env-file", "/nonexistent/.env"], Environment()),
        };
        // SIGKILL when c.bin's second part is asked for: a and b are done, c's upload is half-way.
        _proxy.AddRule(new FaultRule(FaultKind.Callback)
        {
            Match = r => FaultRule.DataGet(r) && r.Key!.EndsWith("/c.bin", StringComparison.Ordinal) && r.Range is { } range && !range.StartsWith("bytes=0-", StringComparison.Ordinal),
            Times = 1,
            Callback = _ =>
            {
                process.Kill(entireProcessTree: true);
                return Task.CompletedTask;
            },
        });
        process.Start();
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using (var cts = new CancellationTokenSource(Bounded))
        {
            await process.WaitForExitAsync(cts.Token);
        }

        await drain.WaitAsync(Bounded);
        Assert.Equal(137, process.ExitCode);
        Assert.Empty(await ManifestKeysAsync("resumed"));

        _proxy.ClearRules();
        _proxy.ClearLog();
        var result = await RealCli.RunAsync(Environment(), args);

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = Json(result);
        Assert.Equal(2, json.GetProperty("resumed_files").GetInt32());
        Assert.Equal(18L * MiB, json.GetProperty("copied_bytes").GetInt64());
        Assert.Equal((18L * MiB) + 1, SourceBytes()); // c and d, and the range probe: a and b are not read again
        await AssertManifestAsync("resumed", json.GetProperty("commit").GetString()!);
        Assert.Empty(await PendingUploadsAsync());
    }

    [Fact]
    public async Task An_object_that_changes_mid_copy_fails_in_one_line_and_commits_nothing()
    {
        await PutAsync("big.bin", 12 * MiB);
        await PutAsync("small.json", 100);
        var changed = new byte[12 * MiB];
        new Random(99).NextBytes(changed);
        // Overwritten at the source when the second part is asked for, before that GET reaches RGW.
        _proxy.AddRule(new FaultRule(FaultKind.Callback)
        {
            Match = r => FaultRule.DataGet(r) && r.Key!.EndsWith("/big.bin", StringComparison.Ordinal) && r.Range == $"bytes={5 * MiB}-{(10 * MiB) - 1}",
            Times = 1,
            Callback = async _ => await _source.PutAsync("big.bin", changed),
        });
        var env = Environment();
        env["HCPMODELFS_LOG_LEVEL"] = "Error";
        string[] args = ["import", _source.Url, "acme/changing", "--part-size", "5MiB", "--parallel", "1"];

        var result = await RealCli.RunAsync(env, args);

        Assert.Equal(1, _proxy.Count(r => r.Fault == FaultKind.Callback));
        var line = new Cli(rgw, _scratch.Prefix, string.Empty).OneLineError(result, 1, "import");
        Assert.Contains($"s3://{ImportSourceBucket.Name}/{_source.Prefix}big.bin changed", line, StringComparison.Ordinal);
        Assert.Empty(await ManifestKeysAsync("changing"));
        Assert.Empty(await KeysAsync(new StoreLayout(_scratch.Prefix).ModelPrefix("acme", "changing") + StoreLayout.MetaFolder + "/refs/"));
        Assert.Empty(await PendingUploadsAsync());

        _files["big.bin"] = changed;
        var rerun = await RealCli.RunAsync(Environment(), [.. args, "--json"]);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        await AssertManifestAsync("changing", Json(rerun).GetProperty("commit").GetString()!);
    }

    [Fact]
    public async Task Bad_usage_is_exit_2_in_one_line_without_secrets()
    {
        var url = _source.Url;
        var cases = new List<(string[] Args, Dictionary<string, string> Env, string Expect)>
        {
            (["import", "http://127.0.0.1/b/p", "acme/m"], Environment(), "s3://BUCKET/PREFIX"),
            (["import", "s3://x", "acme/m"], Environment(), "not a bucket name"),
            (["import", url, "no-slash"], Environment(), "ORG/MODEL"),
            (["import", url, "acme/bad name"], Environment(), "ORG/MODEL"),
            (["import", url, "acme/m", "--part-size", "1MiB"], Environment(), "--part-size"),
            (["import", url, "acme/m"], RealCli.RgwEnvironment(rgw, _scratch.Prefix), "HCPMODELFS_SOURCE_ENDPOINT"),
            (["import", url, "acme/m"], Without(Environment(), "HCPMODELFS_SOURCE_SECRET_KEY"), "HCPMODELFS_SOURCE_SECRET_KEY"),
            (["import", url, "acme/m"], With(Environment(), "HCPMODELFS_SOURCE_VERIFY_SSL", "maybe"), "HCPMODELFS_SOURCE_VERIFY_SSL"),
        };
        var cli = new Cli(rgw, _scratch.Prefix, string.Empty);
        foreach (var (args, env, expect) in cases)
        {
            var result = await RealCli.RunAsync(env, args);
            Assert.Contains(expect, cli.OneLineError(result, 2, "import"), StringComparison.Ordinal);
        }

        Assert.Equal(0, _proxy.Count(_ => true));
    }

    private async Task PutAsync(string path, int size)
    {
        var bytes = new byte[size];
        new Random(size ^ path.Length).NextBytes(bytes);
        _files[path] = bytes;
        await _source.PutAsync(path, bytes);
    }

    private Dictionary<string, string> Environment()
    {
        var env = RealCli.RgwEnvironment(rgw, _scratch.Prefix);
        foreach (var (key, value) in _source.Environment(_proxy.Endpoint))
        {
            env[key] = value;
        }

        return env;
    }

    private static Dictionary<string, string> Without(Dictionary<string, string> env, string key)
    {
        env.Remove(key);
        return env;
    }

    private static Dictionary<string, string> With(Dictionary<string, string> env, string key, string value)
    {
        env[key] = value;
        return env;
    }

    private long SourceBytes() =>
        ImportSourceBucket.RequestedBytes(_proxy, _files.ToDictionary(f => _source.Prefix + f.Key, f => (long)f.Value.Length, StringComparer.Ordinal));

    private static JsonElement Json(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }

    /// <summary>The manifest lists exactly the source files, each with the sha256 of the source bytes, and each object holds them.</summary>
    private async Task AssertManifestAsync(string model, string commit)
    {
        using var store = rgw.CreateStore();
        using var cts = new CancellationTokenSource(Bounded);
        var layout = new StoreLayout(_scratch.Prefix);
        var key = layout.ManifestKey("acme", model, commit);
        var head = await store.HeadAsync(key, cts.Token) ?? throw new Xunit.Sdk.XunitException($"no manifest at {key}");
        var bytes = new byte[head.Size];
        await store.ReadRangeAsync(key, 0, bytes, null, cts.Token);
        var manifest = JsonSerializer.Deserialize(bytes, ManifestJsonContext.Default.Manifest)!;
        Assert.Equal("import", manifest.Source);
        Assert.Equal(_files.Keys.Where(p => manifest.Files.Any(f => f.Path == p)).Order(StringComparer.Ordinal), manifest.Files.Select(f => f.Path));
        foreach (var file in manifest.Files)
        {
            var expected = _files[file.Path];
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), file.Sha256);
            var stored = new byte[file.Size];
            await store.ReadRangeAsync(layout.FileKey("acme", model, commit, file.Path), 0, stored, null, cts.Token);
            Assert.Equal(expected, stored);
        }
    }

    private async Task<List<string>> ManifestKeysAsync(string model) =>
        (await KeysAsync(new StoreLayout(_scratch.Prefix).ModelPrefix("acme", model))).Where(k => k.EndsWith("/manifest.json", StringComparison.Ordinal)).ToList();

    private async Task<List<string>> KeysAsync(string prefix)
    {
        using var store = rgw.CreateStore();
        using var cts = new CancellationTokenSource(Bounded);
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(prefix, null, cts.Token))
        {
            keys.Add(entry.Key);
        }

        return keys;
    }

    private async Task<List<string>> PendingUploadsAsync()
    {
        using var store = rgw.CreateStore();
        using var cts = new CancellationTokenSource(Bounded);
        var keys = new List<string>();
        await foreach (var upload in store.ListMultipartUploadsAsync(_scratch.Prefix, cts.Token))
        {
            keys.Add(upload.Key);
        }

        return keys;
    }
}
#pragma warning restore CA1001
