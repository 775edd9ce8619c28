using System.Text.Json;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `hcpmodelfs config show` run as a process: every layer (config file, .env, environment, flag) wins over the one
/// below and is named as the source; secrets never appear; a bad config file is exit 2 with one line naming the key.
/// </summary>
public sealed class ConfigCommandTests : IDisposable
{
    private const string AccessKey = "AKIDCONFIGSHOWTEST01";
    private const string SecretKey = "configShowSecretKeyValue0123456789";
    private const string HfToken = "hf_configShowTokenValue0123456789";
    private readonly string _dir = Directory.CreateTempSubdirectory("hcpfs-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Config_show_names_each_layer_and_masks_secrets()
    {
        var config = Write("config.yaml", "HCPMODELFS_BLOCK_SIZE: 2MiB\nHCPMODELFS_CACHE_MEMORY: 32MiB\nHCPMODELFS_HUB_DENY: [evil/*, bad/*]\n");
        var dotEnv = Write("test.env", "HCPMODELFS_CACHE_MEMORY=64MiB\nHCPMODELFS_PREFETCH_IN_FLIGHT=4\n");
        var env = Environment();
        env["HCPMODELFS_PREFETCH_IN_FLIGHT"] = "16";
        env["MODEL_CACHE_DIR"] = "/env/cache";

        foreach (var viaVariable in new[] { false, true })
        {
            string[] args = viaVariable
                ? ["config", "show", "--json", "--cache-dir", "/flag/cache"]
                : ["config", "show", "--json", "--cache-dir", "/flag/cache", "--config", config];
            env["HCPMODELFS_CONFIG"] = viaVariable ? config : string.Empty;
            var result = await ProcessRunner.RunAsync("dotnet", [Testing.Fuse.ModelFsDaemon.Dll, .. args, "--env-file", dotEnv], RealCli.Bounded, env);
            Assert.True(result.ExitCode == 0, result.ToString());
            RealCli.AssertCleanOutput(result, SecretKey, HfToken, AccessKey);
            var rows = Rows(result.StandardOutput);

            Assert.Equal(("2MiB", "file " + config), rows["HCPMODELFS_BLOCK_SIZE"]);
            Assert.Equal(("evil/*,bad/*", "file " + config), rows["HCPMODELFS_HUB_DENY"]);
            Assert.Equal(("64MiB", ".env " + dotEnv), rows["HCPMODELFS_CACHE_MEMORY"]);
            Assert.Equal(("16", "environment"), rows["HCPMODELFS_PREFETCH_IN_FLIGHT"]);
            Assert.Equal(("/flag/cache", "flag"), rows["MODEL_CACHE_DIR"]);
            Assert.Equal(("60", "default"), rows["HCPMODELFS_INGEST_LEASE_TTL"]);
            Assert.Equal(("AKID***", "environment"), rows["HCP_ACCESS_KEY"]);
            Assert.Equal(("***", "environment"), rows["HCP_SECRET_KEY"]);
            Assert.Equal(("***", "environment"), rows["HF_TOKEN"]);
        }

        var text = await RealCli.RunAsync(env, "config", "show", "--config", config);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches(@"(?m)^HCPMODELFS_BLOCK_SIZE\s+2MiB\s+file ", text.StandardOutput);
        RealCli.AssertCleanOutput(text, SecretKey, HfToken, AccessKey);
    }

    [Fact]
    public async Task Global_log_flags_are_the_top_layer_and_a_bad_format_is_bad_usage()
    {
        var env = Environment();
        env["HCPMODELFS_LOG_FORMAT"] = "text";
        var result = await RealCli.RunAsync(env, "--log-format", "json", "--log-level", "Warning", "config", "show", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = Rows(result.StandardOutput);
        Assert.Equal(("json", "flag"), rows["HCPMODELFS_LOG_FORMAT"]);
        Assert.Equal(("Warning", "flag"), rows["HCPMODELFS_LOG_LEVEL"]);

        var bad = await RealCli.RunAsync(env, "config", "show", "--log-format", "xml");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("xml", Assert.Single(bad.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_config_file_is_exit_2_with_one_line_naming_the_key()
    {
        var env = Environment();
        var typo = Write("typo.yaml", "HCPMODELFS_BLOCK_SIZE: 2MiB\nHCP_SECRETKEY: " + SecretKey + "\n");
        foreach (var command in new[] { new[] { "config", "show" }, ["check"], ["export", "acme/x", _dir] })
        {
            var result = await RealCli.RunAsync(env, [.. command, "--config", typo]);
            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"{typo}:2: unknown setting 'HCP_SECRETKEY'", line, StringComparison.Ordinal);
            RealCli.AssertCleanOutput(result, SecretKey, HfToken, AccessKey);
        }

        var missing = await RealCli.RunAsync(env, "config", "show", "--config", Path.Combine(_dir, "absent.yaml"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("absent.yaml does not exist", missing.StandardError, StringComparison.Ordinal);

        var invalid = Write("invalid.yaml", "HCPMODELFS_BLOCK_SIZE: 3MiB\n");
        var badValue = await RealCli.RunAsync(env, "config", "show", "--config", invalid);
        Assert.Equal(2, badValue.ExitCode);
        Assert.Contains("HCPMODELFS_BLOCK_SIZE must be a power of two", badValue.StandardError, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Environment() => new(StringComparer.Ordinal)
    {
        ["HCP_ENDPOINT"] = "http://127.0.0.1:9",
        ["HCP_NAMESPACE"] = "bucket",
        ["HCP_ACCESS_KEY"] = AccessKey,
        ["HCP_SECRET_KEY"] = SecretKey,
        ["HF_TOKEN"] = HfToken,
        ["HCPMODELFS_CONFIG"] = string.Empty,
    };

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static Dictionary<string, (string Value, string Source)> Rows(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("settings").EnumerateArray().ToDictionary(
            r => r.GetProperty("name").GetString()!,
            r => (r.GetProperty("value").GetString()!, r.GetProperty("source").GetString()!));
    }
}
