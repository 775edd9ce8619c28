using System.Text.Json;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>`hcpmodelfs upload` run as a process against Ceph RGW: the `--json` result, and bad usage as exit 2 in one line.</summary>
[Collection(RgwFixture.CollectionName)]
public sealed class UploadCommandTests(RgwFixture rgw) : IAsyncLifetime
{
    private readonly MountTestScratch _scratch = new(rgw, $"upl-{Guid.NewGuid():N}/");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _scratch.CleanUpAsync();

    [Fact]
    public async Task Upload_prints_one_json_result_and_the_model_exports_back_byte_exact()
    {
        var folder = _scratch.NewDirectory("upload-src");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        var weights = new byte[(3 << 20) + 5];
        new Random(7).NextBytes(weights);
        await File.WriteAllBytesAsync(Path.Combine(folder, "sub", "weights.bin"), weights);
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), "{\"a\":1}");
        var env = RealCli.RgwEnvironment(rgw, _scratch.Prefix);

        var result = await RealCli.RunAsync(env, "upload", "acme/uploaded", folder, "--json", "--revision", "v1");
        Assert.True(result.ExitCode == 0, result.ToString());
        string commit;
        using (var json = JsonDocument.Parse(result.StandardOutput))
        {
            Assert.Equal("acme/uploaded", json.RootElement.GetProperty("model").GetString());
            Assert.Equal(2, json.RootElement.GetProperty("files").GetInt32());
            Assert.Equal(weights.Length + 7, json.RootElement.GetProperty("bytes").GetInt64());
            commit = json.RootElement.GetProperty("commit").GetString()!;
        }

        var target = _scratch.NewDirectory("upload-export");
        var export = await RealCli.RunAsync(env, "export", "acme/uploaded@v1", target);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains(commit, export.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(weights, await File.ReadAllBytesAsync(Path.Combine(target, "acme", "uploaded", "sub", "weights.bin")));
        RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey);
    }

    [Fact]
    public async Task Bad_usage_is_exit_2_in_one_line()
    {
        var env = RealCli.RgwEnvironment(rgw, _scratch.Prefix);
        var folder = _scratch.NewDirectory("upload-bad");
        foreach (var args in new[] { new[] { "upload", "no-slash", folder }, ["upload", "acme/x", Path.Combine(folder, "missing")], ["upload", "acme/x"] })
        {
            var result = await RealCli.RunAsync(env, args);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey);
        }
    }
}
