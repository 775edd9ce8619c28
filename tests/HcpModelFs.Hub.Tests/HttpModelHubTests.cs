using System.Net;
using System.Net.Http.Headers;
using HcpModelFs.Hub.Http;

namespace HcpModelFs.Hub.Tests;

/// <summary>Redirect, token and caching rules of <see cref="HttpModelHub"/>, against an in-process handler.</summary>
public sealed class HttpModelHubTests
{
    private const string Token = "hf_unitTestSecretToken42";
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";
    private static readonly byte[] Data = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static HttpModelHub Hub(StubHandler handler, TimeProvider? clock = null, ListLogger<HttpModelHub>? logger = null,
        string endpoint = "https://hub.test") =>
        new(new HubOptions
        {
            Endpoint = new Uri(endpoint), Token = Token, MaxRetries = 0, RangedReadThreshold = 0,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        }, logger, clock ?? new ManualClock(Now), handler);

    private static HttpResponseMessage Redirect(HttpStatusCode status, string location, string? commit = Sha)
    {
        var r = new HttpResponseMessage(status);
        r.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
        if (commit is not null)
        {
            r.Headers.TryAddWithoutValidation("X-Repo-Commit", commit);
        }

        return r;
    }

    private static HttpResponseMessage LfsRedirect(string location)
    {
        var r = Redirect(HttpStatusCode.Found, location);
        r.Headers.TryAddWithoutValidation("X-Linked-Etag", "\"" + new string('a', 64) + "\"");
        r.Headers.TryAddWithoutValidation("X-Linked-Size", Data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return r;
    }

    private static HttpResponseMessage Partial(HttpRequestMessage request)
    {
        var range = request.Headers.Range!.Ranges.Single();
        var from = (int)range.From!.Value;
        var to = (int)range.To!.Value;
        var r = new HttpResponseMessage(HttpStatusCode.PartialContent)
        {
            Content = new ByteArrayContent(Data[from..(to + 1)]),
        };
        r.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, to, Data.Length);
        return r;
    }

    [Fact]
    public async Task ReadRange_token_kept_on_relative_hops_and_dropped_on_cdn_host()
    {
        var handler = new StubHandler(req => req.RequestUri!.AbsolutePath switch
        {
            "/old/m/resolve/" + Sha + "/w.bin" => Redirect(HttpStatusCode.TemporaryRedirect, "/org/m/resolve/" + Sha + "/w.bin", null),
            "/org/m/resolve/" + Sha + "/w.bin" => LfsRedirect("https://cdn.test/blob/x?exp=1900000000&sig=1"),
            "/blob/x" => Partial(req),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        });
        using var hub = Hub(handler);
        var buffer = new byte[100];
        await hub.ReadRangeAsync(HubRepoId.Parse("old/m"), Sha, "w.bin", 1000, buffer, CancellationToken.None);
        Assert.Equal(Data[1000..1100], buffer);
        Assert.All(handler.Requests.Where(r => r.Uri.Host == "hub.test"), r => Assert.Equal("Bearer " + Token, r.Authorization));
        Assert.All(handler.Requests.Where(r => r.Uri.Host == "cdn.test"), r => Assert.Null(r.Authorization));
        Assert.Contains(handler.Requests, r => r.Uri.Host == "cdn.test");
        Assert.All(handler.Requests, r => Assert.StartsWith("hcpmodelfs/", r.UserAgent, StringComparison.Ordinal));
        Assert.All(handler.Requests, r => Assert.Equal("identity", r.AcceptEncoding));
    }

    [Fact]
    public async Task ReadRange_same_host_other_port_is_another_authority_without_token()
    {
        var handler = new StubHandler(req => req.RequestUri!.Port == 8443
            ? Partial(req)
            : LfsRedirect("https://hub.test:8443/blob/x"));
        using var hub = Hub(handler);
        await hub.ReadRangeAsync(HubRepoId.Parse("org/m"), Sha, "w.bin", 0, new byte[10], CancellationToken.None);
        Assert.Null(handler.Requests.Single(r => r.Uri.Port == 8443).Authorization);
    }

    [Fact]
    public async Task ReadRange_https_to_http_redirect_is_refused()
    {
        var handler = new StubHandler(_ => LfsRedirect("http://cdn.test/blob/x"));
        using var hub = Hub(handler);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            hub.ReadRangeAsync(HubRepoId.Parse("org/m"), Sha, "w.bin", 0, new byte[10], CancellationToken.None).AsTask());
        Assert.Equal(HubErrorKind.Protocol, ex.Kind);
        Assert.DoesNotContain(handler.Requests, r => r.Uri.Host == "cdn.test");
    }

    [Fact]
    public async Task ReadRange_signed_url_reused_until_expiry_then_resolved_again()
    {
        var exp = Now.AddMinutes(10).ToUnixTimeSeconds();
        var handler = new StubHandler(req => req.RequestUri!.Host == "cdn.test"
            ? Partial(req)
            : LfsRedirect($"https://cdn.test/blob/x?exp={exp}&sig=1"));
        var clock = new ManualClock(Now);
        using var hub = Hub(handler, clock);
        var id = HubRepoId.Parse("org/m");
        await hub.ReadRangeAsync(id, Sha, "w.bin", 0, new byte[10], CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(5));
        await hub.ReadRangeAsync(id, Sha, "w.bin", 10, new byte[10], CancellationToken.None);
        Assert.Equal(1, handler.Requests.Count(r => r.Method == "HEAD"));
        clock.Advance(TimeSpan.FromMinutes(5));
        await hub.ReadRangeAsync(id, Sha, "w.bin", 20, new byte[10], CancellationToken.None);
        Assert.Equal(2, handler.Requests.Count(r => r.Method == "HEAD"));
    }

    [Fact]
    public async Task ReadRange_commit_mismatch_throws_Integrity()
    {
        var handler = new StubHandler(_ =>
        {
            var r = LfsRedirect("https://cdn.test/blob/x");
            r.Headers.Remove("X-Repo-Commit");
            r.Headers.TryAddWithoutValidation("X-Repo-Commit", new string('f', 40));
            return r;
        });
        using var hub = Hub(handler);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            hub.ReadRangeAsync(HubRepoId.Parse("org/m"), Sha, "w.bin", 0, new byte[10], CancellationToken.None).AsTask());
        Assert.Equal(HubErrorKind.Integrity, ex.Kind);
    }

    [Fact]
    public async Task Failures_never_show_the_token_in_messages_or_logs()
    {
        var handler = new StubHandler(req =>
        {
            // A hostile server echoing the credentials back in its error message.
            var r = new HttpResponseMessage(HttpStatusCode.Forbidden);
            r.Headers.TryAddWithoutValidation("X-Error-Code", "GatedRepo");
            r.Headers.TryAddWithoutValidation("X-Error-Message", "denied for " + req.Headers.Authorization);
            return r;
        });
        var logger = new ListLogger<HttpModelHub>();
        using var hub = Hub(handler, logger: logger);
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            hub.ResolveRevisionAsync(HubRepoId.Parse("org/m"), "main", CancellationToken.None));
        Assert.Equal(HubErrorKind.Gated, ex.Kind);
        Assert.DoesNotContain(Token, ex.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(logger.Lines);
        Assert.All(logger.Lines, l => Assert.DoesNotContain(Token, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListFiles_follows_link_pages_and_skips_directories()
    {
        var handler = new StubHandler(req =>
        {
            var second = req.RequestUri!.Query.Contains("cursor=2", StringComparison.Ordinal);
            var json = second
                ? "[{\"type\":\"file\",\"oid\":\"b\",\"size\":5,\"path\":\"d/x.bin\",\"lfs\":{\"oid\":\"" + new string('c', 64) + "\",\"size\":5,\"pointerSize\":130}}]"
                : "[{\"type\":\"directory\",\"oid\":\"t\",\"size\":0,\"path\":\"d\"},{\"type\":\"file\",\"oid\":\"a\",\"size\":3,\"path\":\"a.json\"}]";
            var r = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json) };
            if (!second)
            {
                r.Headers.TryAddWithoutValidation("Link",
                    "<https://hub.test/api/models/org/m/tree/" + Sha + "?recursive=true&expand=false&cursor=2>; rel=\"next\"");
            }

            return r;
        });
        using var hub = Hub(handler);
        var files = new List<HubFile>();
        await foreach (var f in hub.ListFilesAsync(HubRepoId.Parse("org/m"), Sha, CancellationToken.None))
        {
            files.Add(f);
        }

        Assert.Equal(["a.json", "d/x.bin"], files.Select(f => f.Path));
        Assert.Null(files[0].LfsSha256);
        Assert.Equal(new string('c', 64), files[1].LfsSha256);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public void EscapePath_encodes_spaces_and_utf8_but_keeps_slashes() =>
        Assert.Equal("a%20b/%C3%BC%23%3F%25.json", HttpModelHub.EscapePath("a b/ü#?%.json"));
}
