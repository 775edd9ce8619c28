namespace HcpModelFs.Hub.Tests;

public sealed class HubOptionsTests
{
    private static Dictionary<string, string?> Env(params (string Key, string? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    [Fact]
    public void FromEnvironment_empty_uses_defaults()
    {
        var o = HubOptions.FromEnvironment(Env(("HOME", "/home/u")));
        Assert.Equal(new Uri("https://huggingface.co"), o.Endpoint);
        Assert.Null(o.Token);
        Assert.Equal("/home/u/.cache/huggingface/token", o.TokenPath);
    }

    [Fact]
    public void FromEnvironment_reads_endpoint_token_and_token_path()
    {
        var o = HubOptions.FromEnvironment(Env(
            ("HF_ENDPOINT", "http://127.0.0.1:8080/mirror/"), ("HF_TOKEN", "hf_abc"), ("HF_TOKEN_PATH", "/etc/tok"),
            ("HF_TOKEN_FILE", "/ignored")));
        Assert.Equal("http://127.0.0.1:8080/mirror", o.Endpoint.AbsoluteUri.TrimEnd('/'));
        Assert.Equal("hf_abc", o.Token);
        Assert.Equal("/etc/tok", o.TokenPath);
    }

    [Fact]
    public void FromEnvironment_token_file_and_hf_home_fallbacks()
    {
        Assert.Equal("/run/secret", HubOptions.FromEnvironment(Env(("HF_TOKEN_FILE", "/run/secret"))).TokenPath);
        Assert.Equal("/data/hf/token", HubOptions.FromEnvironment(Env(("HF_HOME", "/data/hf"))).TokenPath);
        Assert.Equal("/x/huggingface/token", HubOptions.FromEnvironment(Env(("XDG_CACHE_HOME", "/x"))).TokenPath);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://host")]
    public void FromEnvironment_bad_endpoint_throws(string endpoint) =>
        Assert.Throws<FormatException>(() => HubOptions.FromEnvironment(Env(("HF_ENDPOINT", endpoint))));

    [Fact]
    public void ToString_never_shows_the_token()
    {
        var o = new HubOptions { Token = "hf_secretValue123" };
        Assert.DoesNotContain("hf_secretValue123", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("***", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveToken_prefers_token_then_reads_the_token_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "hcpmodelfs-token-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "hf_fromFile\n");
        try
        {
            Assert.Equal("hf_fromFile", new HubOptions { TokenPath = path }.ResolveToken());
            Assert.Equal("hf_direct", new HubOptions { Token = "hf_direct", TokenPath = path }.ResolveToken());
            Assert.Null(new HubOptions { TokenPath = path + ".missing" }.ResolveToken());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
