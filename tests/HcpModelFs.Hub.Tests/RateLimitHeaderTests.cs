using System.Net.Http.Headers;
using HcpModelFs.Hub.Http;

namespace HcpModelFs.Hub.Tests;

public sealed class RateLimitHeaderTests
{
    [Fact]
    public void Parse_reads_bucket_remaining_and_reset()
    {
        var h = RateLimitHeader.Parse("\"resolvers\";r=2999;t=172");
        Assert.Equal(new RateLimitHeader("resolvers", 2999, 172), h);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage=;;")]
    public void Parse_missing_or_garbage_returns_null(string? value) => Assert.Null(RateLimitHeader.Parse(value));

    private static HttpResponseHeaders Headers(params (string, string)[] values)
    {
        var m = new HttpResponseMessage();
        foreach (var (k, v) in values)
        {
            m.Headers.TryAddWithoutValidation(k, v);
        }

        return m.Headers;
    }

    [Fact]
    public void RetryDelay_prefers_ratelimit_reset_when_exhausted()
    {
        var d = RateLimitHeader.RetryDelay(Headers(("RateLimit", "\"api\";r=0;t=57"), ("Retry-After", "3")),
            DateTimeOffset.UnixEpoch);
        Assert.Equal(TimeSpan.FromSeconds(57), d);
    }

    [Fact]
    public void RetryDelay_uses_retry_after_when_quota_left()
    {
        var d = RateLimitHeader.RetryDelay(Headers(("RateLimit", "\"api\";r=5;t=57"), ("Retry-After", "3")),
            DateTimeOffset.UnixEpoch);
        Assert.Equal(TimeSpan.FromSeconds(3), d);
    }

    [Fact]
    public void RetryDelay_without_headers_is_null() =>
        Assert.Null(RateLimitHeader.RetryDelay(Headers(), DateTimeOffset.UnixEpoch));
}
