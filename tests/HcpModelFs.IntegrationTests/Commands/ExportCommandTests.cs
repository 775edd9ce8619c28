using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.IntegrationTests.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `hcpmodelfs export` run as a process against Ceph RGW: plain and Hugging Face cache layouts byte-exact, globs and
/// `-f models.yaml` honoured, the cache layout read back by the real `@huggingface/hub` client's scanCacheDir.
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed class ExportCommandTests(RgwFixture rgw) : IAsyncLifetime
{
    private static readonly IReadOnlyList<(string Path, long Size, ulong Seed)> Files =
    [
        ("config.json", 4_321, 40),
        ("model.safetensors", (9L << 20) + 12_345, 41), // two 8 MiB blocks: CRC per block, reads in flight
        ("nested/dir/weights.bin", 1 << 20, 42),
        ("nested/tokenizer.json", 999, 43),
        ("with space.txt", 777, 44),
        ("empty.txt", 0, 45),
    ];

    private readonly MountTestScratch _scratch = new(rgw, $"exp-{Guid.NewGuid():N}/");
    private PublishedModel? _model;

    private PublishedModel Model => _model!;

    private const string ModelName = $"{PublishedModel.Org}/{PublishedModel.Name}";

    public async Task InitializeAsync()
    {
        using var store = rgw.CreateStore();
        _model = await PublishedModel.PublishAsync(store, _scratch.Prefix, Files);
    }

    public async Task DisposeAsync()
    {
        _model?.Dispose();
        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Plain_export_is_byte_exact_and_honours_include_and_exclude()
    {
        var all = _scratch.NewDirectory("export-all");
        var result = await RealCli.RunAsync(Env(), "export", ModelName, all);
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertExactly(Path.Combine(all, PublishedModel.Org, PublishedModel.Name), Files.Select(f => f.Path));
        Assert.Contains(Model.Manifest.Commit, result.StandardOutput, StringComparison.Ordinal);

        var some = _scratch.NewDirectory("export-some");
        result = await RealCli.RunAsync(Env(), "export", ModelName, some, "--include", "*.json", "--include", "nested/", "--exclude", "nested/dir/*");
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertExactly(Path.Combine(some, PublishedModel.Org, PublishedModel.Name), ["config.json", "nested/tokenizer.json"]);
        RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey);
    }

    [Fact]
    public async Task Hf_cache_layout_is_read_back_by_scanCacheDir_and_is_byte_exact_through_the_snapshot_links()
    {
        var cache = _scratch.NewDirectory("export-hf");
        var result = await RealCli.RunAsync(Env(), "export", ModelName, cache, "--hf-cache-layout", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using (var json = JsonDocument.Parse(result.StandardOutput))
        {
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(Files.Count, json.RootElement.GetProperty("models")[0].GetProperty("files").GetInt32());
        }

        var commit = Model.Manifest.Commit;
        var repo = Path.Combine(cache, $"models--{PublishedModel.Org}--{PublishedModel.Name}");
        Assert.Equal(commit, await File.ReadAllTextAsync(Path.Combine(repo, "refs", "main")));
        AssertExactly(Path.Combine(repo, "snapshots", commit), Files.Select(f => f.Path));
        foreach (var file in Files)
        {
            var link = new FileInfo(Path.Combine(repo, "snapshots", commit, file.Path));
            Assert.NotNull(link.LinkTarget);
            Assert.False(Path.IsPathRooted(link.LinkTarget), link.LinkTarget);
            Assert.Equal(Model.Sha256(file.Path), Path.GetFileName(link.LinkTarget));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(repo, "blobs"), "*.incomplete"));
        await AssertScanCacheDirAsync(cache, commit);
    }

    [Fact]
    public async Task Models_file_gives_per_model_revision_and_globs()
    {
        var list = Path.Combine(_scratch.NewDirectory("models-yaml"), "models.yaml");
        await File.WriteAllTextAsync(list, $"""
            models:
              - name: {ModelName}
                revision: main
                include: ["*.json", "with space.txt"]
                exclude: nested/*
            """);
        var target = _scratch.NewDirectory("export-list");
        var result = await RealCli.RunAsync(Env(), "export", "-f", list, target, "--include", "*.safetensors");
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertExactly(Path.Combine(target, PublishedModel.Org, PublishedModel.Name), ["config.json", "with space.txt"]);

        await File.WriteAllTextAsync(list, $"- name: {ModelName}\n  colour: red\n");
        var bad = await RealCli.RunAsync(Env(), "export", "-f", list, target);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("unknown key 'colour'", bad.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_model_fails_with_exit_1_and_bad_input_with_exit_2_each_in_one_line()
    {
        var target = _scratch.NewDirectory("export-bad");
        var missing = await RealCli.RunAsync(Env(), "export", ModelName, $"{PublishedModel.Org}/no-such-model", target);
        Assert.True(missing.ExitCode == 1, missing.ToString());
        var errors = missing.StandardError.Split('\n').Where(l => l.StartsWith("hcpmodelfs export:", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"hcpmodelfs export: {PublishedModel.Org}/no-such-model: not in the store (fetch it first: hcpmodelfs prefetch {PublishedModel.Org}/no-such-model)"], errors);
        Assert.True(File.Exists(Path.Combine(target, PublishedModel.Org, PublishedModel.Name, "config.json")), "the model that exists is still exported");
        RealCli.AssertCleanOutput(missing, rgw.SecretKey, rgw.AccessKey);

        foreach (var args in new[] { new[] { "export", "not a name", target }, ["export", target], ["export", ModelName, target, "--include"] })
        {
            var result = await RealCli.RunAsync(Env(), args);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey);
        }

        var wrongKey = await RealCli.RunAsync(RealCli.RgwEnvironment(rgw, _scratch.Prefix, secretKey: "wrong-secret-key-for-export"), "export", ModelName, target);
        Assert.True(wrongKey.ExitCode == 1, wrongKey.ToString());
        RealCli.AssertCleanOutput(wrongKey, "wrong-secret-key-for-export", rgw.SecretKey, rgw.AccessKey);
    }

    private Dictionary<string, string> Env() => RealCli.RgwEnvironment(rgw, _scratch.Prefix);

    /// <summary>The folder holds exactly these files (no temporaries), each with the published bytes.</summary>
    private void AssertExactly(string root, IEnumerable<string> paths)
    {
        var expected = paths.Order(StringComparer.Ordinal).ToList();
        var found = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, found);
        foreach (var path in expected)
        {
            Assert.Equal(Model.Sha256(path), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, path)))));
        }
    }

    private async Task AssertScanCacheDirAsync(string cacheDir, string commit)
    {
        var nodeDir = Path.Combine(HubTestSupport.RepoRoot(), "tests", "node");
        Assert.True(File.Exists(Path.Combine(nodeDir, "node_modules", "@huggingface", "hub", "package.json")), "@huggingface/hub is not installed: run `npm ci --prefix tests/node`.");
        var node = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        Assert.True(node is not null, "`node` is not on PATH: install Node.js >= 20, then `npm ci --prefix tests/node`.");
        var expectations = Path.Combine(_scratch.NewDirectory("scan"), "expectations.json");
        await File.WriteAllTextAsync(expectations, JsonSerializer.Serialize(new
        {
            cacheDir,
            repo = $"{PublishedModel.Org}/{PublishedModel.Name}",
            commit,
            refs = new[] { "main" },
            files = Files.Select(f => new { path = f.Path, size = f.Size }),
        }));
        var result = await ProcessRunner.RunAsync(node!, [Path.Combine(nodeDir, "scan-cache.mjs")], RealCli.Bounded,
            new Dictionary<string, string> { ["SCAN_EXPECTATIONS"] = expectations }, nodeDir);
        Assert.True(result.ExitCode == 0, $"scan-cache.mjs exited {result.ExitCode}\n{result}");
        using var json = JsonDocument.Parse(result.StandardOutput.Trim().Split('\n')[^1]);
        Assert.Empty(json.RootElement.GetProperty("failures").EnumerateArray());
        Assert.True(json.RootElement.GetProperty("checks").GetArrayLength() >= 6 + (2 * Files.Count), result.StandardOutput);
    }
}
