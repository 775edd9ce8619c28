using System.Net;
using HcpModelFs.Hub.Http;

namespace HcpModelFs.Hub.Tests;

public sealed class HubErrorClassifierTests
{
    private static HttpResponseMessage Response(int status, string? code = null, string? message = null)
    {
        var r = new HttpResponseMessage((HttpStatusCode)status)
        {
            RequestMessage = new HttpRequestMessage(HttpMethod.Get, "https://huggingface.co/api/models/a/b?secret=1"),
        };
        if (code is not null)
        {
            r.Headers.TryAddWithoutValidation("X-Error-Code", code);
        }

        if (message is not null)
        {
            r.Headers.TryAddWithoutValidation("X-Error-Message", message);
        }

        return r;
    }

    [Theory]
    [InlineData(401, "RepoNotFound", null, false, HubErrorKind.RepoNotFound)]
    [InlineData(404, "RepoNotFound", null, true, HubErrorKind.RepoNotFound)]
    [InlineData(404, "RevisionNotFound", null, false, HubErrorKind.RevisionNotFound)]
    [InlineData(404, "EntryNotFound", null, false, HubErrorKind.EntryNotFound)]
    [InlineData(401, "GatedRepo", null, false, HubErrorKind.Gated)]
    [InlineData(403, "GatedRepo", null, true, HubErrorKind.Gated)]
    [InlineData(403, null, "Access to this resource is disabled.", true, HubErrorKind.Disabled)]
    [InlineData(401, null, "Invalid credentials in Authorization header", true, HubErrorKind.Unauthorized)]
    [InlineData(401, null, null, false, HubErrorKind.RepoNotFound)]
    [InlineData(429, null, null, false, HubErrorKind.RateLimited)]
    [InlineData(503, null, null, false, HubErrorKind.Unavailable)]
    [InlineData(408, null, null, false, HubErrorKind.Unavailable)]
    [InlineData(400, null, null, false, HubErrorKind.Protocol)]
    public void Classify_maps_status_and_code(int status, string? code, string? message, bool token, HubErrorKind kind)
    {
        using var r = Response(status, code, message);
        var ex = HubErrorClassifier.Classify(r, HubRoute.Api, onHubHost: true, token, DateTimeOffset.UnixEpoch);
        Assert.Equal(kind, ex.Kind);
        Assert.Equal(status, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_403_from_cdn_is_transient()
    {
        using var r = Response(403);
        var ex = HubErrorClassifier.Classify(r, HubRoute.Data, onHubHost: false, false, DateTimeOffset.UnixEpoch);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public void Classify_429_carries_retry_after()
    {
        using var r = Response(429);
        r.Headers.TryAddWithoutValidation("Retry-After", "7");
        var ex = HubErrorClassifier.Classify(r, HubRoute.Resolve, true, false, DateTimeOffset.UnixEpoch);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
    }
}
