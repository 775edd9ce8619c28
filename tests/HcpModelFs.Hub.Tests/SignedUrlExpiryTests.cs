using HcpModelFs.Hub.Http;

namespace HcpModelFs.Hub.Tests;

public sealed class SignedUrlExpiryTests
{
    [Theory]
    [InlineData("http://127.0.0.2:1/blob/abc?exp=1700000000&sig=00", 1700000000L)]
    [InlineData("https://cdn-lfs.hf.co/repos/x?Expires=1700000123&Signature=s&Key-Pair-Id=k", 1700000123L)]
    [InlineData("https://cas-bridge.xethub.hf.co/x?X-Amz-Algorithm=AWS4&X-Amz-Date=20231114T221320Z&X-Amz-Expires=3600&X-Amz-Signature=s", 1700003600L)]
    public void Parse_known_forms_return_expiry(string url, long unix) =>
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(unix), SignedUrlExpiry.Parse(new Uri(url)));

    [Theory]
    [InlineData("https://cdn.example/blob")]
    [InlineData("https://cdn.example/blob?foo=bar")]
    [InlineData("https://cdn.example/blob?Expires=soon")]
    public void Parse_without_expiry_returns_null(string url) => Assert.Null(SignedUrlExpiry.Parse(new Uri(url)));
}
