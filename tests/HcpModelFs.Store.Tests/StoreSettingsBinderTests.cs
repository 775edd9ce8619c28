using HcpModelFs.Store.Configuration;

namespace HcpModelFs.Store.Tests;

public sealed class StoreSettingsBinderTests
{
    private static Dictionary<string, string> Env(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    [Fact]
    public void Bind_with_nothing_set_gives_defaults_and_local_store()
    {
        var s = StoreSettingsBinder.Bind(Env());
        Assert.False(s.IsS3);
        Assert.Equal("us-east-1", s.Region);
        Assert.Equal("models/", s.Prefix);
        Assert.True(s.VerifySsl);
        Assert.Equal(64, s.MaxConnections);
    }

    [Fact]
    public void Bind_HCP_variables_win_over_S3_fallbacks()
    {
        var s = StoreSettingsBinder.Bind(Env(
            ("HCP_ENDPOINT", "https://tenant.hcp.example"), ("S3_ENDPOINT", "http://minio:9000"),
            ("HCP_NAMESPACE", "ns"), ("S3_BUCKET", "bucket"),
            ("HCP_ACCESS_KEY", "hcpkey"), ("S3_ACCESS_KEY_ID", "s3key"),
            ("S3_SECRET_ACCESS_KEY", "s3secret"), ("HCP_MAX_CONNECTIONS", "255"), ("HCP_PREFIX", "/m")));
        Assert.Equal(new Uri("https://tenant.hcp.example"), s.Endpoint);
        Assert.Equal("ns", s.Bucket);
        Assert.Equal("hcpkey", s.AccessKey!.Value!.Reveal());
        Assert.Equal("s3secret", s.SecretKey!.Value!.Reveal());
        Assert.Equal(255, s.MaxConnections);
        Assert.Equal("m/", s.Prefix);
    }

    [Fact]
    public void Bind_endpoint_without_scheme_means_https()
    {
        var s = StoreSettingsBinder.Bind(Env(("HCP_ENDPOINT", "tenant.hcp.example"), ("HCP_NAMESPACE", "ns"),
            ("HCP_ACCESS_KEY", "a"), ("HCP_SECRET_KEY", "b")));
        Assert.Equal("https", s.Endpoint!.Scheme);
    }

    [Fact]
    public void Bind_environment_wins_over_dotenv_which_wins_over_defaults()
    {
        var dotEnv = DotEnvParser.Parse("HCP_REGION=eu-1\nHCP_PREFIX=fromfile/\n");
        var s = StoreSettingsBinder.Bind(Env(("HCP_REGION", "env-1")), dotEnv);
        Assert.Equal("env-1", s.Region);
        Assert.Equal("fromfile/", s.Prefix);
    }

    [Fact]
    public void Bind_FILE_variant_gives_a_file_credential()
    {
        var s = StoreSettingsBinder.Bind(Env(("S3_ENDPOINT", "http://127.0.0.1:1"), ("S3_BUCKET", "b"),
            ("S3_ACCESS_KEY_ID_FILE", "/run/secrets/ak"), ("HCP_SECRET_KEY_FILE", "/run/secrets/sk")));
        Assert.Equal("/run/secrets/ak", s.AccessKey!.FilePath);
        Assert.Equal("/run/secrets/sk", s.SecretKey!.FilePath);
        Assert.Null(s.SecretKey.Value);
    }

    [Fact]
    public void Bind_value_and_file_both_set_fails_without_showing_the_value()
    {
        var e = Assert.Throws<FormatException>(() => StoreSettingsBinder.Bind(Env(
            ("HCP_SECRET_KEY", "TopSecret123"), ("HCP_SECRET_KEY_FILE", "/x"))));
        Assert.Contains("HCP_SECRET_KEY_FILE", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TopSecret123", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_endpoint_without_credentials_fails()
    {
        Assert.Throws<FormatException>(() => StoreSettingsBinder.Bind(Env(("S3_ENDPOINT", "http://x"), ("S3_BUCKET", "b"))));
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("TRUE", true)]
    public void Bind_verify_ssl_parses_booleans(string text, bool expected)
    {
        Assert.Equal(expected, StoreSettingsBinder.Bind(Env(("HCP_VERIFY_SSL", text))).VerifySsl);
    }

    [Fact]
    public void Bind_bad_number_fails_naming_the_variable()
    {
        var e = Assert.Throws<FormatException>(() => StoreSettingsBinder.Bind(Env(("HCP_MAX_CONNECTIONS", "lots"))));
        Assert.Contains("HCP_MAX_CONNECTIONS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_ToString_never_shows_secrets()
    {
        var s = StoreSettingsBinder.Bind(Env(("S3_ENDPOINT", "http://x"), ("S3_BUCKET", "b"),
            ("S3_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID"), ("S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG")));
        var text = s.ToString() + s.SecretKey + s.AccessKey + s.SecretKey!.Value;
        Assert.DoesNotContain("wJalrXUtnFEMI", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAEXAMPLEKEYID", text, StringComparison.Ordinal);
    }
}
