using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HcpModelFs.Testing.Hub;

namespace HcpModelFs.IntegrationTests.Hub;

/// <summary>The fake Hub's own wire behaviour (spec §10), checked with a plain HttpClient (no redirects).</summary>
[SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class FakeHubServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = HubTestSupport.Timeout;
    private readonly FakeHubCatalog _catalog = ContractCatalog.Create();
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private FakeHubServer _server = null!;

    private FakeHubCommit Head => _catalog.Repos[ContractCatalog.Model].Head;

    public async Task InitializeAsync()
    {
        _server = await FakeHubServer.StartAsync(_catalog).WaitAsync(Timeout);
        _http.BaseAddress = _server.HubUri;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? token = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return await _http.SendAsync(request).WaitAsync(Timeout);
    }

    private static string Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? v.First() : r.Content.Headers.TryGetValues(name, out var c) ? c.First() : "";

    [Fact]
    public async Task Every_hub_answer_has_request_id_and_ratelimit_headers_and_no_encoding()
    {
        foreach (var url in new[] { $"/api/models/{ContractCatalog.Model}", "/api/nothing", $"/{ContractCatalog.Model}/resolve/main/config.json" })
        {
            using var r = await SendAsync(HttpMethod.Get, url, configure: m => m.Headers.AcceptEncoding.ParseAdd("gzip"));
            Assert.NotEmpty(Header(r, "X-Request-Id"));
            Assert.Matches("^\"(api|resolvers)\";r=\\d+;t=\\d+$", Header(r, "RateLimit"));
            Assert.Contains("q=", Header(r, "RateLimit-Policy"), StringComparison.Ordinal);
            Assert.Empty(r.Content.Headers.ContentEncoding);
            Assert.False(r.Headers.Contains("X-Xet-Hash"));
        }
    }

    [Fact]
    public async Task RepoInfo_blobs_and_expand_shape_the_json()
    {
        using var r = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/revision/main?blobs=true");
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var shard = doc.RootElement.GetProperty("siblings").EnumerateArray()
            .Single(s => s.GetProperty("rfilename").GetString() == "model-00001-of-00002.safetensors");
        Assert.Equal(Head.Files[shard.GetProperty("rfilename").GetString()!].Sha256,
            shard.GetProperty("lfs").GetProperty("sha256").GetString());
        Assert.Equal(24, doc.RootElement.GetProperty("_id").GetString()!.Length);

        using var e = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/revision/HEAD?expand=private&expand=sha");
        using var edoc = JsonDocument.Parse(await e.Content.ReadAsStringAsync());
        Assert.Equal(["_id", "id", "sha", "private"],
            edoc.RootElement.EnumerateObject().Select(p => p.Name).OrderBy(n => n switch { "_id" => 0, "id" => 1, "sha" => 2, _ => 3 }));
    }

    [Fact]
    public async Task Tree_slash_revision_must_be_encoded_like_the_real_hub()
    {
        using var encoded = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/tree/release%2Fv2?recursive=1");
        Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
        using var raw = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/tree/release/v2");
        Assert.Equal(HttpStatusCode.NotFound, raw.StatusCode);
        Assert.Equal("RevisionNotFound", Header(raw, "X-Error-Code"));
    }

    [Fact]
    public async Task Tree_missing_folder_is_EntryNotFound_and_pages_link_absolutely()
    {
        using var missing = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/tree/main/nope");
        Assert.Equal("EntryNotFound", Header(missing, "X-Error-Code"));
        _server.PageSize = 2;
        using var page = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/tree/main?recursive=true&expand=false");
        Assert.Matches("^<http://127\\.0\\.0\\.1:\\d+/api/models/acme/tiny-model/tree/main\\?recursive=true&expand=false&cursor=[^>]+>; rel=\"next\"$",
            Header(page, "Link"));
    }

    [Fact]
    public async Task PathsInfo_accepts_json_and_form_and_omits_unknown_paths()
    {
        var url = $"/api/models/{ContractCatalog.Model}/paths-info/main";
        using var json = await SendAsync(HttpMethod.Post, url, configure: m => m.Content = new StringContent(
            "{\"paths\":[\"config.json\",\"nested\",\"nope\"],\"expand\":false}", Encoding.UTF8, "application/json"));
        using var form = await SendAsync(HttpMethod.Post, url, configure: m => m.Content = new FormUrlEncodedContent(
            [new("paths", "config.json"), new("paths", "nested"), new("paths", "nope"), new("expand", "false")]));
        foreach (var r in new[] { json, form })
        {
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal(["config.json", "nested"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        }
    }

    [Fact]
    public async Task Refs_raw_and_whoami_answer()
    {
        using var refs = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.Model}/refs?include_prs=1");
        using var doc = JsonDocument.Parse(await refs.Content.ReadAsStringAsync());
        Assert.Contains(doc.RootElement.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() == "v1.0");
        Assert.Equal(0, doc.RootElement.GetProperty("pullRequests").GetArrayLength());

        using var raw = await SendAsync(HttpMethod.Get, $"/{ContractCatalog.Model}/raw/main/model-00001-of-00002.safetensors");
        Assert.StartsWith("version https://git-lfs.github.com/spec/v1\noid sha256:", await raw.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);

        using var who = await SendAsync(HttpMethod.Get, "/api/whoami-v2", ContractCatalog.Token);
        Assert.Equal(HttpStatusCode.OK, who.StatusCode);
        using var anon = await SendAsync(HttpMethod.Get, "/api/whoami-v2");
        Assert.Equal(HttpStatusCode.Unauthorized, anon.StatusCode);
    }

    [Fact]
    public async Task Resolve_lfs_is_302_to_signed_cdn_url_with_linked_headers()
    {
        var shard = Head.Files["model-00001-of-00002.safetensors"];
        using var r = await SendAsync(HttpMethod.Head, $"/{ContractCatalog.Model}/resolve/main/{shard.Path}");
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.Equal(Head.Sha, Header(r, "X-Repo-Commit"));
        Assert.Equal($"\"{shard.Sha256}\"", Header(r, "X-Linked-Etag"));
        Assert.Equal(shard.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(r, "X-Linked-Size"));
        var location = r.Headers.Location!;
        Assert.Equal(_server.CdnUri.Authority, location.Authority);

        using var cdn = await SendAsync(HttpMethod.Get, location.AbsoluteUri, configure: m => m.Headers.Range = new RangeHeaderValue(0, 0));
        Assert.Equal(HttpStatusCode.PartialContent, cdn.StatusCode);
        Assert.Equal($"bytes 0-0/{shard.Size}", cdn.Content.Headers.ContentRange!.ToString());
        Assert.Equal($"\"{shard.Sha256}\"", cdn.Headers.ETag!.ToString());

        using var beyond = await SendAsync(HttpMethod.Get, location.AbsoluteUri,
            configure: m => m.Headers.Range = new RangeHeaderValue(shard.Size, null));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal($"bytes */{shard.Size}", beyond.Content.Headers.ContentRange!.ToString());

        using var forged = await SendAsync(HttpMethod.Get, location.AbsoluteUri.Replace("sig=", "sig=0", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
    }

    [Theory]
    [InlineData(ContractCatalog.Gated, null, 401, "GatedRepo")]
    [InlineData(ContractCatalog.Gated, ContractCatalog.OtherToken, 403, "GatedRepo")]
    [InlineData(ContractCatalog.Private, null, 401, "RepoNotFound")]
    [InlineData(ContractCatalog.Private, ContractCatalog.OtherToken, 404, "RepoNotFound")]
    [InlineData(ContractCatalog.Disabled, ContractCatalog.Token, 403, "")]
    [InlineData(ContractCatalog.Model, ContractCatalog.UnknownToken, 401, "")]
    public async Task Resolve_head_errors_carry_status_and_code_headers(string repo, string? token, int status, string code)
    {
        using var r = await SendAsync(HttpMethod.Head, $"/{repo}/resolve/main/config.json", token);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal(code, Header(r, "X-Error-Code"));
        Assert.NotEmpty(Header(r, "X-Error-Message"));
    }

    [Fact]
    public async Task Resolve_missing_file_is_EntryNotFound_with_commit_and_json_body()
    {
        using var r = await SendAsync(HttpMethod.Get, $"/{ContractCatalog.Model}/resolve/main/nope.bin");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("EntryNotFound", Header(r, "X-Error-Code"));
        Assert.Equal(Head.Sha, Header(r, "X-Repo-Commit"));
        Assert.Equal("application/json", r.Content.Headers.ContentType!.MediaType);
        Assert.Contains("\"error\"", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renamed_repo_and_encoded_id_are_answered_like_the_hub()
    {
        using var renamed = await SendAsync(HttpMethod.Get, $"/api/models/{ContractCatalog.OldModelId}/revision/main");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, renamed.StatusCode);
        Assert.Equal($"/api/models/{ContractCatalog.Model}/revision/main", renamed.Headers.Location!.OriginalString);
        using var encoded = await SendAsync(HttpMethod.Get, "/api/models/acme%2Ftiny-model");
        Assert.Equal(HttpStatusCode.BadRequest, encoded.StatusCode);
    }
}
