using HcpModelFs.Configuration;
using HcpModelFs.Http;

namespace HcpModelFs.Tests;

/// <summary>The HCPMODELFS_HTTP_* settings and --listen parsing: defaults, values, and errors naming the setting.</summary>
public sealed class HttpSettingsTests
{
    private static DaemonSettings Bind(Dictionary<string, string> env) => DaemonSettingsBinder.Bind(env, null, isRoot: false, home: "/home/u");

    [Fact]
    public void Defaults_listen_on_loopback_open_with_Hub_sized_pages()
    {
        var settings = Bind([]);
        Assert.Equal("127.0.0.1:8080", settings.HttpListen);
        Assert.Null(settings.HttpTokensFile);
        Assert.Null(settings.HttpPublicUrl);
        Assert.Equal(1000, settings.HttpTreePageSize);
    }

    [Fact]
    public void Values_are_bound()
    {
        var settings = Bind(new()
        {
            ["HCPMODELFS_HTTP_LISTEN"] = "127.0.0.2:9000",
            ["HCPMODELFS_HTTP_TOKENS_FILE"] = "/etc/hcpmodelfs/tokens",
            ["HCPMODELFS_HTTP_PUBLIC_URL"] = "https://models.example.com",
            ["HCPMODELFS_HTTP_TREE_PAGE_SIZE"] = "3",
        });
        Assert.Equal("127.0.0.2:9000", settings.HttpListen);
        Assert.Equal("/etc/hcpmodelfs/tokens", settings.HttpTokensFile);
        Assert.Equal(new Uri("https://models.example.com"), settings.HttpPublicUrl);
        Assert.Equal(3, settings.HttpTreePageSize);
    }

    [Theory]
    [InlineData("HCPMODELFS_HTTP_PUBLIC_URL", "models.example.com")]
    [InlineData("HCPMODELFS_HTTP_PUBLIC_URL", "ftp://models.example.com")]
    [InlineData("HCPMODELFS_HTTP_TREE_PAGE_SIZE", "10001")]
    [InlineData("HCPMODELFS_HTTP_TREE_PAGE_SIZE", "many")]
    public void Bad_values_name_the_setting_not_the_value(string name, string value)
    {
        var ex = Assert.Throws<FormatException>(() => Bind(new() { [name] = value }));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "127.0.0.1", 8080)]
    [InlineData(":0", "127.0.0.1", 0)]
    [InlineData("[::1]:9000", "::1", 9000)]
    public void Listen_addresses_parse(string text, string address, int port)
    {
        var endpoint = HubEndpoint.ParseListen(text);
        Assert.Equal(System.Net.IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost:8080")]
    [InlineData("8080")]
    public void Listen_without_an_address_and_port_is_refused(string text) =>
        Assert.Throws<FormatException>(() => HubEndpoint.ParseListen(text));
}
