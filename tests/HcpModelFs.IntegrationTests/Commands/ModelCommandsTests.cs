using System.Diagnostics;
using System.Security.Cryptography;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `ls`, `info` and `rm` as an operator runs them: the real executable over Ceph RGW, on a model published by the
/// real `upload` and a plain folder written by another tool. Each test has its own key prefix and cache directory.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class ModelCommandsTests : IAsyncLifetime
{
    private const string Org = "acme";
    private const string Model = "tiny";
    private readonly RgwFixture _rgw;
    private readonly MountTestScratch _scratch;
    private readonly Cli _cli;
    private S3FaultProxy? _proxy;
    private string _folder = string.Empty;
    private string _commit = string.Empty;

    public ModelCommandsTests(RgwFixture rgw)
    {
        _rgw = rgw;
        _scratch = new MountTestScratch(rgw, $"cmd-{Guid.NewGuid():N}/");
        _cli = new Cli(rgw, _scratch.Prefix, _scratch.NewDirectory("cache"));
    }

    private static IReadOnlyList<(string Path, int Size)> Files { get; } = [("config.json", 321), ("weights/model.bin", (2 << 20) + 5)];

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync);
        _folder = _scratch.NewDirectory("model");
        foreach (var (path, size) in Files)
        {
            var full = Path.Combine(_folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, RandomNumberGenerator.GetBytes(size));
        }

        var upload = await _cli.RunAsync("upload", $"{Org}/{Model}", _folder, "--revision", "v1");
        Assert.True(upload.ExitCode == 0, upload.ToString());
        _commit = upload.StandardOutput.Split('@', ':')[1];
        using var store = _rgw.CreateStore();
        await store.PutAsync($"{_scratch.Prefix}{Org}/plainfolder/data.txt", "plain bytes"u8.ToArray(), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Ls_lists_orgs_then_models_with_kind_size_pinned_revision_refs_and_cache_then_revisions()
    {
        var orgs = Cli.Json(await _cli.RunAsync("ls", "--json")).GetProperty("orgs");
        Assert.Equal([(Org, 2)], orgs.EnumerateArray().Select(o => (o.GetProperty("name").GetString(), o.GetProperty("models").GetInt32())));
        Assert.Matches(@"(?m)^acme\s+2$", Cli.Ok(await _cli.RunAsync("ls")));

        var models = Cli.Json(await _cli.RunAsync("ls", Org, "--json")).GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        var tiny = models[Model];
        Assert.Equal("managed", tiny.GetProperty("kind").GetString());
        Assert.Equal(Files.Sum(f => (long)f.Size), tiny.GetProperty("size").GetInt64());
        Assert.Equal(_commit, tiny.GetProperty("commit").GetString());
        Assert.Equal(_commit, tiny.GetProperty("other_refs").GetProperty("v1").GetString());
        Assert.Equal(0, tiny.GetProperty("cached_percent").GetInt32());
        Assert.Equal("plain", models["plainfolder"].GetProperty("kind").GetString());
        Assert.Equal(11, models["plainfolder"].GetProperty("size").GetInt64());

        var text = Cli.Ok(await _cli.RunAsync("ls", Org));
        Assert.Matches($@"(?m)^tiny\s+managed\s+\S+\s+2\s+{_commit[..12]}\s+v1={_commit[..12]}\s+0%$", text);
        Assert.Matches(@"(?m)^plainfolder\s+plain\s", text);

        var model = Cli.Json(await _cli.RunAsync("ls", $"{Org}/{Model}", "--json"));
        var revision = Assert.Single(model.GetProperty("revisions").EnumerateArray());
        Assert.Equal(_commit, revision.GetProperty("commit").GetString());
        Assert.Equal(["HEAD", "v1"], revision.GetProperty("refs").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("upload", revision.GetProperty("source").GetString());
        Assert.Matches($@"(?m)^{_commit}\s+HEAD, v1\s+upload\s", Cli.Ok(await _cli.RunAsync("ls", $"{Org}/{Model}")));
        Assert.Contains("plain folder (unmanaged", Cli.Ok(await _cli.RunAsync("ls", $"{Org}/plainfolder")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_shows_commit_refs_source_and_every_file_with_size_and_sha256()
    {
        var info = Cli.Json(await _cli.RunAsync("info", $"{Org}/{Model}@v1", "--json"));

        Assert.Equal(_commit, info.GetProperty("commit").GetString());
        Assert.Equal(["HEAD", "v1"], info.GetProperty("refs").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("upload", info.GetProperty("source").GetString());
        Assert.True(DateTimeOffset.UtcNow - info.GetProperty("ingested_at").GetDateTimeOffset() < TimeSpan.FromMinutes(10));
        var files = info.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("path").GetString()!, f.GetProperty("size").GetInt64(), f.GetProperty("sha256").GetString()!)).ToList();
        Assert.Equal(Files.Select(f => (f.Path, (long)f.Size, Sha256(f.Path))), files);

        var text = Cli.Ok(await _cli.RunAsync("info", $"{Org}/{Model}"));
        Assert.Contains($"commit:   {_commit}", text, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^weights/model\.bin\s+{(2 << 20) + 5}\s+{Sha256("weights/model.bin")}\s+0%$", text);
        Assert.Contains("plain folder (unmanaged)", Cli.Ok(await _cli.RunAsync("info", $"{Org}/plainfolder")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rm_from_the_store_needs_yes_then_deletes_everything_of_the_model()
    {
        var refused = await _cli.RunAsync("rm", $"{Org}/{Model}", "--store");
        var line = _cli.OneLineError(refused, 2, "rm");
        Assert.Contains("would delete acme/tiny: 1 revision(s), 2 objects", line, StringComparison.Ordinal);
        Assert.Contains("--yes", line, StringComparison.Ordinal);
        Cli.Ok(await _cli.RunAsync("info", $"{Org}/{Model}")); // untouched

        var done = Cli.Json(await _cli.RunAsync("rm", $"{Org}/{Model}", "--store", "--yes", "--json"));

        Assert.Equal(2, done.GetProperty("store").GetProperty("objects").GetInt32());
        Assert.Equal(0, await CountAsync($"{_scratch.Prefix}{Org}/{Model}/"));
        _cli.OneLineError(await _cli.RunAsync("info", $"{Org}/{Model}"), 1, "info");
        Assert.Equal(["plainfolder"], Cli.Json(await _cli.RunAsync("ls", Org, "--json")).GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Rm_refused_by_retention_says_so_in_one_line_leaves_nothing_half_visible_and_a_rerun_finishes()
    {
        var viaProxy = _cli.Environment(_proxy!.Endpoint);
        viaProxy["HCP_MAX_RETRIES"] = "0";
        var weights = $"{_scratch.Prefix}{Org}/{Model}/{_commit}/weights/model.bin";
        _proxy.AddRule(new FaultRule(FaultKind.Forbidden) { Match = r => r.Method == "DELETE" && r.Key == weights });

        var failed = await Cli.RunAsync(viaProxy, "rm", $"{Org}/{Model}", "--store", "--yes");

        var line = _cli.OneLineError(failed, 1, "rm");
        Assert.Contains($"the store refused to delete {weights}", line, StringComparison.Ordinal);
        Assert.Contains("retention", line, StringComparison.Ordinal);
        Assert.Contains("no revision of it is visible any more", line, StringComparison.Ordinal);
        Assert.Contains("run the same rm again", line, StringComparison.Ordinal);
        // The manifest went first: the model is not visible with a file missing, nor as a plain folder of leftovers.
        _cli.OneLineError(await Cli.RunAsync(viaProxy, "info", $"{Org}/{Model}"), 1, "info");
        var listed = Cli.Json(await Cli.RunAsync(viaProxy, "ls", Org, "--json")).GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == Model);
        Assert.Equal("incomplete", listed.GetProperty("kind").GetString());
        Assert.True(await ExistsAsync(weights));

        _proxy.ClearRules();
        Cli.Ok(await Cli.RunAsync(viaProxy, "rm", $"{Org}/{Model}", "--store", "--yes"));
        Assert.Equal(0, await CountAsync($"{_scratch.Prefix}{Org}/{Model}/"));
    }

    [Fact]
    public async Task Rm_interrupted_by_SIGINT_says_what_is_left_exits_130_and_a_rerun_finishes()
    {
        var viaProxy = _cli.Environment(_proxy!.Endpoint);
        var weights = $"{_scratch.Prefix}{Org}/{Model}/{_commit}/weights/model.bin";
        // The DELETE of the second object hangs (bounded), so SIGINT lands in the middle of the removal.
        _proxy.AddRule(new FaultRule(FaultKind.Latency) { Match = r => r.Method == "DELETE" && r.Key == weights, Delay = TimeSpan.FromSeconds(20), Times = 1 });
        await using var rm = DaemonProcess.Start("dotnet", [NotifyingDaemon.Dll, "rm", $"{Org}/{Model}", "--store", "--yes"], viaProxy);
        var waited = Stopwatch.StartNew();
        while (!_proxy.Requests.Any(r => r.Method == "DELETE" && r.Key == weights))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60) && !rm.HasExited, "rm never reached the DELETE of " + weights + "\n" + rm.StandardError);
            await Task.Delay(50); // polling another process's progress, bounded above
        }

        rm.Signal(2);
        Assert.True(await rm.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var line = _cli.OneLineError(new ProcessResult(rm.ExitCode, rm.StandardOutput, rm.StandardError), 130, "rm");
        Assert.Contains("interrupted; no revision of it is visible any more; 3 of 5 keys are left", line, StringComparison.Ordinal);
        _cli.OneLineError(await _cli.RunAsync("info", $"{Org}/{Model}"), 1, "info");
        Cli.Ok(await _cli.RunAsync("rm", $"{Org}/{Model}", "--store", "--yes"));
        Assert.Equal(0, await CountAsync($"{_scratch.Prefix}{Org}/{Model}/"));
    }

    [Fact]
    public async Task Bad_input_gives_the_documented_exit_code_and_one_line_without_stack_trace_or_secret()
    {
        Assert.Contains("not ORG/MODEL", _cli.OneLineError(await _cli.RunAsync("info", "acme/bad name!"), 2, "info"), StringComparison.Ordinal);
        _cli.OneLineError(await _cli.RunAsync("ls", "a/b/c"), 2, "ls");
        _cli.OneLineError(await _cli.RunAsync("rm", $"{Org}/{Model}"), 2, "rm");
        var noArgument = await _cli.RunAsync("info");
        Assert.True(noArgument.ExitCode == 2, noArgument.ToString());
        Assert.Matches(@"^hcpmodelfs info: Required argument missing.*\n$", noArgument.StandardError);
        Assert.Contains("no model 'acme/missing'", _cli.OneLineError(await _cli.RunAsync("info", $"{Org}/missing"), 1, "info"), StringComparison.Ordinal);
        _cli.OneLineError(await _cli.RunAsync("ls", "nobody"), 1, "ls");
        _cli.OneLineError(await _cli.RunAsync("rm", $"{Org}/missing", "--store", "--yes"), 1, "rm");
        _cli.OneLineError(await _cli.RunAsync("info", $"{Org}/{Model}@nosuchref"), 1, "info");

        var unreachable = _cli.Environment(Cli.ClosedEndpoint());
        Assert.Contains("cannot reach the object store", _cli.OneLineError(await Cli.RunAsync(unreachable, "ls", Org), 1, "ls"), StringComparison.Ordinal);

        var wrongKey = await Cli.RunAsync(_cli.Environment(secretKey: "not-the-secret-key-0123456789"), "info", $"{Org}/{Model}");
        Assert.Contains("refused access", _cli.OneLineError(wrongKey, 1, "info"), StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret-key", wrongKey.StandardError, StringComparison.Ordinal);
    }

    private string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_folder, path))));

    private async Task<int> CountAsync(string prefix)
    {
        using var store = _rgw.CreateStore();
        var n = 0;
        await foreach (var entry in store.ListAsync(prefix, null, CancellationToken.None))
        {
            n++;
        }

        return n;
    }

    private async Task<bool> ExistsAsync(string key)
    {
        using var store = _rgw.CreateStore();
        return await store.HeadAsync(key, CancellationToken.None) is not null;
    }
}
