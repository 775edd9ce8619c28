using HcpModelFs.Commands;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;

namespace HcpModelFs.Tests;

/// <summary>
/// Precedence defaults &lt; config file &lt; .env &lt; environment &lt; flags, every layer overriding the one below it;
/// the config file's key rules; and `config show`'s sources and masking.
/// </summary>
public sealed class ConfigPrecedenceTests
{
    private const string Path = "/etc/hcpmodelfs/config.yaml";
    private const string AccessKey = "AKIDLAYERTESTKEY0001";
    private const string SecretKey = "s3cr3t-layer-test-value";
    private const string HfToken = "hf_layer_test_token_value";

    // Each layer sets one setting that no layer above it sets, and one that the next layer overrides.
    private static readonly Dictionary<string, string> File = ConfigFile.Parse(
        """
        HCPMODELFS_BLOCK_SIZE: 2MiB
        HCPMODELFS_CACHE_MEMORY: 32MiB
        HCPMODELFS_HUB_ALLOW: [acme/*, other/*]
        HCPMODELFS_LOG_LEVEL: Warning
        """,
        Path);

    private static readonly Dictionary<string, string> DotEnv = new()
    {
        ["HCPMODELFS_CACHE_MEMORY"] = "64MiB",
        ["HCPMODELFS_PREFETCH_IN_FLIGHT"] = "4",
        ["HCPMODELFS_HTTP_TREE_PAGE_SIZE"] = "10",
    };

    private static readonly Dictionary<string, string> Env = new()
    {
        ["HCPMODELFS_PREFETCH_IN_FLIGHT"] = "16",
        ["MODEL_CACHE_DIR"] = "/env/cache",
        ["HCPMODELFS_HTTP_TREE_PAGE_SIZE"] = "20",
        ["HCP_ACCESS_KEY"] = AccessKey,
        ["HCP_SECRET_KEY"] = SecretKey,
        ["HF_TOKEN"] = HfToken,
    };

    private static readonly Dictionary<string, string> Flags = new() { ["MODEL_CACHE_DIR"] = "/flag/cache" };

    private static ConfigurationLayers Layers() => new(File, Path, DotEnv, Env, Flags, ".env");

    private static DaemonSettings Bind(ConfigurationLayers layers) => DaemonSettingsBinder.Bind(layers, isRoot: false, home: "/home/u");

    [Fact]
    public void Every_layer_overrides_the_one_below()
    {
        var layers = Layers();
        var settings = Bind(layers);

        Assert.Equal(8 << 20, Bind(new ConfigurationLayers()).BlockSize);
        Assert.Equal(2 << 20, settings.BlockSize);                 // file over default
        Assert.Equal(64L << 20, settings.CacheMemoryBytes);        // .env over file
        Assert.Equal(16, settings.PrefetchInFlight);               // environment over .env
        Assert.Equal(20, settings.HttpTreePageSize);               // environment over .env over default
        Assert.Equal("/flag/cache", settings.CacheDirectory);      // flag over environment
        Assert.Equal(["acme/*", "other/*"], settings.HubPolicy.Allow);
        Assert.Equal("Warning", settings.LogLevel);
        Assert.Equal(60, settings.LeaseTtl.TotalSeconds);          // nobody set it

        Assert.Equal(SettingSourceKind.File, layers.SourceOf("HCPMODELFS_BLOCK_SIZE").Kind);
        Assert.Equal(SettingSourceKind.DotEnv, layers.SourceOf("HCPMODELFS_CACHE_MEMORY").Kind);
        Assert.Equal(SettingSourceKind.Environment, layers.SourceOf("HCPMODELFS_PREFETCH_IN_FLIGHT").Kind);
        Assert.Equal(SettingSourceKind.Flag, layers.SourceOf("MODEL_CACHE_DIR").Kind);
        Assert.Equal(SettingSourceKind.Default, layers.SourceOf("HCPMODELFS_INGEST_LEASE_TTL").Kind);
    }

    [Theory]
    [InlineData("HCPMODELFS_BLOK_SIZE: 2MiB\n", "unknown setting 'HCPMODELFS_BLOK_SIZE'")]
    [InlineData("hcp_endpoint: http://x\n", "unknown setting 'hcp_endpoint'")]
    [InlineData("HCP_PREFIX:\n  nested: 1\n", "HCP_PREFIX must be a single value")]
    [InlineData("- a\n- b\n", "expected a mapping")]
    [InlineData("HCP_PREFIX: [unclosed\n", "not valid YAML")]
    public void Config_file_errors_name_the_file_and_the_key(string yaml, string expected)
    {
        var error = Assert.Throws<FormatException>(() => ConfigFile.Parse(yaml, Path));
        Assert.StartsWith(Path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_config_file_sets_nothing() => Assert.Empty(ConfigFile.Parse("# nothing yet\n", Path));

    [Fact]
    public void Config_show_names_sources_and_masks_secrets()
    {
        foreach (var json in new[] { false, true })
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            ConfigCommand.Write(new CliOutput("config show", json, stdout, stderr), ConfigCommand.Rows(Layers()));
            var text = stdout.ToString();

            Assert.DoesNotContain(SecretKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(HfToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain(AccessKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(AccessKey[..5], text, StringComparison.Ordinal);
            Assert.Contains("AKID***", text, StringComparison.Ordinal);
            Assert.Contains("file " + Path, text, StringComparison.Ordinal);
            Assert.Contains(".env", text, StringComparison.Ordinal);
            Assert.Contains("environment", text, StringComparison.Ordinal);
            Assert.Contains("flag", text, StringComparison.Ordinal);
            Assert.Contains("default", text, StringComparison.Ordinal);
        }

        var rows = ConfigCommand.Rows(Layers()).ToDictionary(r => r.Name);
        Assert.Equal("***", rows["HCP_SECRET_KEY"].Value);
        Assert.Equal("***", rows["HF_TOKEN"].Value);
        Assert.Equal(("/flag/cache", "flag"), (rows["MODEL_CACHE_DIR"].Value, rows["MODEL_CACHE_DIR"].Source));
        Assert.Equal(("2MiB", "file " + Path), (rows["HCPMODELFS_BLOCK_SIZE"].Value, rows["HCPMODELFS_BLOCK_SIZE"].Source));
        Assert.Equal(("64MiB", ".env"), (rows["HCPMODELFS_CACHE_MEMORY"].Value, rows["HCPMODELFS_CACHE_MEMORY"].Source));
        Assert.Equal(("60", "default"), (rows["HCPMODELFS_INGEST_LEASE_TTL"].Value, rows["HCPMODELFS_INGEST_LEASE_TTL"].Source));
        Assert.False(rows.ContainsKey("S3_BUCKET")); // aliases are shown as the setting they set

        var viaAlias = ConfigCommand.Rows(new ConfigurationLayers(environment: new Dictionary<string, string>
        {
            ["S3_SECRET_ACCESS_KEY"] = SecretKey,
            ["AWS_CA_BUNDLE"] = "/etc/ssl/ca.pem",
        })).ToDictionary(r => r.Name);
        Assert.Equal(new ConfigRow("HCP_SECRET_KEY", "***", "environment", "S3_SECRET_ACCESS_KEY"), viaAlias["HCP_SECRET_KEY"]);
        Assert.Equal(new ConfigRow("HCP_ROOT_CA_PATH", "/etc/ssl/ca.pem", "environment", "AWS_CA_BUNDLE"), viaAlias["HCP_ROOT_CA_PATH"]);
    }
}
