using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;
using Xunit.Abstractions;

namespace HcpModelFs.IntegrationTests.Http;

/// <summary>
/// Every route of `hcpmodelfs serve` against hf-hub-protocol.md (§2 metadata, §3 resolve, §4.2 errors), served from
/// Ceph RGW through the real binary: status codes, headers, JSON shapes, Link pagination, ranges, bad input.
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed partial class HubEndpointContractTests(RgwFixture rgw, HubEndpointFixture fixture, ITestOutputHelper output)
    : IClassFixture<HubEndpointFixture>, IAsyncLifetime
{
    private const string Repo = PublishedModel.Org + "/" + PublishedModel.Name;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private HttpClient _http = null!;

    private string Commit => fixture.Model.Manifest.Commit;

    public async Task InitializeAsync()
    {
        await fixture.EnsureStartedAsync(rgw).WaitAsync(TimeSpan.FromMinutes(3));
        _http = Client(fixture.Shared.Address);
    }

    public Task DisposeAsync()
    {
        _http.Dispose();
        output.WriteLine(fixture.Shared.Process.StandardError[Math.Max(0, fixture.Shared.Process.StandardError.Length - 20_000)..]);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("/api/models/acme/tiny-llm")]
    [InlineData("/api/models/acme/tiny-llm/revision/main")]
    [InlineData("/api/models/acme/tiny-llm/revision/HEAD")]
    [InlineData("/api/models/acme/tiny-llm/revision/{sha}?blobs=true")]
    public async Task Model_info_has_id_sha_lastModified_and_every_file_as_a_sibling(string route)
    {
        var blobs = route.Contains("blobs", StringComparison.Ordinal);
        using var response = await GetAsync(route.Replace("{sha}", Commit, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        AssertNoXet(response, text);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(Repo, root.GetProperty("id").GetString());
        Assert.Matches("^[0-9a-f]{24}$", root.GetProperty("_id").GetString()!);
        Assert.Equal(Commit, root.GetProperty("sha").GetString());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("lastModified").GetString(), CultureInfo.InvariantCulture, out _));
        Assert.False(root.GetProperty("private").GetBoolean());
        Assert.False(root.GetProperty("gated").GetBoolean());
        var siblings = root.GetProperty("siblings").EnumerateArray().ToList();
        Assert.Equal(fixture.Model.Files.Select(f => f.Path).Order(StringComparer.Ordinal), siblings.Select(s => s.GetProperty("rfilename").GetString()!).Order(StringComparer.Ordinal));
        if (blobs)
        {
            foreach (var (path, size, _) in fixture.Model.Files)
            {
                var sibling = siblings.Single(s => s.GetProperty("rfilename").GetString() == path);
                Assert.Equal(size, sibling.GetProperty("size").GetInt64());
                Assert.Equal(fixture.Model.Sha256(path), sibling.GetProperty("lfs").GetProperty("sha256").GetString());
            }
        }
        else
        {
            Assert.False(siblings[0].TryGetProperty("size", out _));
        }
    }

    [Fact]
    public async Task Tree_is_recursive_and_paginated_with_an_absolute_Link_the_JS_client_follows()
    {
        var entries = new List<JsonElement>();
        var url = $"{fixture.Shared.HubUrl}/api/models/{Repo}/tree/main?recursive=true&expand=false";
        var pages = 0;
        while (url is not null)
        {
            using var response = await _http.GetAsync(new Uri(url));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            AssertNoXet(response, text);
            using var json = JsonDocument.Parse(text);
            var page = json.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
            Assert.InRange(page.Count, 1, 3);
            entries.AddRange(page);
            pages++;
            url = null;
            if (response.Headers.TryGetValues("Link", out var links))
            {
                // The JS client's own pattern (spec §2.2): absolute http(s) URL, ';', at least one space, rel="next".
                var match = LinkPattern().Match(links.Single());
                Assert.True(match.Success, links.Single());
                url = match.Groups[1].Value;
                Assert.StartsWith(fixture.Shared.HubUrl + "/api/models/" + Repo + "/tree/main?", url, StringComparison.Ordinal);
            }
        }

        Assert.True(pages >= 3, $"{pages} pages");
        var files = entries.Where(e => e.GetProperty("type").GetString() == "file").ToList();
        var dirs = entries.Where(e => e.GetProperty("type").GetString() == "directory").Select(e => e.GetProperty("path").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["nested", "nested/dir"], dirs);
        Assert.Equal(fixture.Model.Files.Count, files.Count);
        foreach (var (path, size, _) in fixture.Model.Files)
        {
            var entry = files.Single(f => f.GetProperty("path").GetString() == path);
            Assert.Equal(size, entry.GetProperty("size").GetInt64());
            Assert.Matches("^[0-9a-f]{40}$", entry.GetProperty("oid").GetString()!);
            Assert.Equal(fixture.Model.Sha256(path), entry.GetProperty("lfs").GetProperty("oid").GetString());
            Assert.Equal(size, entry.GetProperty("lfs").GetProperty("size").GetInt64());
        }

        // Not recursive, a sub-folder (Python encodes it as one segment): direct children only.
        using var nested = await GetAsync($"/api/models/{Repo}/tree/main/nested%2Fdir");
        Assert.Equal(HttpStatusCode.OK, nested.StatusCode);
        using var nestedJson = JsonDocument.Parse(await nested.Content.ReadAsStringAsync());
        Assert.Equal(["nested/dir/weights.bin"], nestedJson.RootElement.EnumerateArray().Select(e => e.GetProperty("path").GetString()));

        using var top = await GetAsync($"/api/models/{Repo}/tree/{Commit}?expand=true");
        using var topJson = JsonDocument.Parse(await top.Content.ReadAsStringAsync());
        Assert.All(topJson.RootElement.EnumerateArray(), e => Assert.Equal(Commit, e.GetProperty("lastCommit").GetProperty("id").GetString()));
        Assert.DoesNotContain(topJson.RootElement.EnumerateArray(), e => e.GetProperty("path").GetString()!.Contains('/', StringComparison.Ordinal));

        using var missing = await GetAsync($"/api/models/{Repo}/tree/main/no-such-folder");
        await AssertHubErrorAsync(missing, HttpStatusCode.NotFound, "EntryNotFound");
    }

    [Fact]
    public async Task Paths_info_accepts_form_and_JSON_bodies_and_leaves_unknown_paths_out()
    {
        using var form = await _http.PostAsync(Url($"/api/models/{Repo}/paths-info/main"), new FormUrlEncodedContent(
        [
            new("paths", "config.json"), new("paths", "nested"), new("paths", "no/such"), new("paths", "../escape"), new("expand", "false"),
        ]));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        using var formJson = JsonDocument.Parse(await form.Content.ReadAsStringAsync());
        Assert.Equal(["config.json", "nested"], formJson.RootElement.EnumerateArray().Select(e => e.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        var config = formJson.RootElement.EnumerateArray().Single(e => e.GetProperty("path").GetString() == "config.json");
        Assert.Equal("file", config.GetProperty("type").GetString());
        Assert.Equal(fixture.Model.Sha256("config.json"), config.GetProperty("lfs").GetProperty("oid").GetString());
        Assert.False(config.TryGetProperty("lastCommit", out _));

        using var body = new StringContent("""{"paths":["nested/dir/weights.bin","missing.bin"],"expand":true}""", Encoding.UTF8, "application/json");
        using var json = await _http.PostAsync(Url($"/api/models/{Repo}/paths-info/{Commit}"), body);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        using var doc = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var only = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal(1 << 20, only.GetProperty("size").GetInt64());
        Assert.Equal(Commit, only.GetProperty("lastCommit").GetProperty("id").GetString());
        Assert.True(DateTimeOffset.TryParse(only.GetProperty("lastCommit").GetProperty("date").GetString(), CultureInfo.InvariantCulture, out _));

        using var garbage = new StringContent("{not json", Encoding.UTF8, "application/json");
        using var bad = await _http.PostAsync(Url($"/api/models/{Repo}/paths-info/main"), garbage);
        await AssertHubErrorAsync(bad, HttpStatusCode.BadRequest, null);
    }

    [Fact]
    public async Task Refs_name_main_at_the_default_commit()
    {
        using var response = await GetAsync($"/api/models/{Repo}/refs?include_prs=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var main = Assert.Single(json.RootElement.GetProperty("branches").EnumerateArray());
        Assert.Equal("main", main.GetProperty("name").GetString());
        Assert.Equal("refs/heads/main", main.GetProperty("ref").GetString());
        Assert.Equal(Commit, main.GetProperty("targetCommit").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("tags").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("pullRequests").GetArrayLength());
    }

    [Theory]
    [InlineData("main")]
    [InlineData("{sha}")]
    public async Task Resolve_HEAD_and_GET_carry_what_hf_hub_download_verifies_and_the_exact_bytes(string revision)
    {
        revision = revision.Replace("{sha}", Commit, StringComparison.Ordinal);
        foreach (var (path, size, _) in fixture.Model.Files)
        {
            var route = $"/{Repo}/resolve/{revision}/{Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal)}";
            var sha256 = fixture.Model.Sha256(path);
            using var head = new HttpRequestMessage(HttpMethod.Head, Url(route));
            head.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
            using var h = await _http.SendAsync(head);
            Assert.Equal(HttpStatusCode.OK, h.StatusCode);
            Assert.Equal(Commit, Header(h, "X-Repo-Commit"));
            Assert.Equal($"\"{sha256}\"", Header(h, "X-Linked-Etag"));
            Assert.Equal($"\"{sha256}\"", Header(h, "ETag"));
            Assert.Equal(size.ToString(CultureInfo.InvariantCulture), Header(h, "X-Linked-Size"));
            Assert.Equal(size, h.Content.Headers.ContentLength);
            Assert.Equal("bytes", Header(h, "Accept-Ranges"));
            AssertNoXet(h, string.Empty);

            using var get = await _http.GetAsync(Url(route));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(size, get.Content.Headers.ContentLength);
            Assert.Null(get.Content.Headers.ContentEncoding.FirstOrDefault());
            var bytes = await get.Content.ReadAsByteArrayAsync();
            Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));

            using var conditional = new HttpRequestMessage(HttpMethod.Get, Url(route));
            conditional.Headers.TryAddWithoutValidation("If-None-Match", $"\"{sha256}\"");
            using var notModified = await _http.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }
    }

    [Fact]
    public async Task Ranges_answer_206_with_Content_Range_and_416_beyond_the_end()
    {
        var (path, size, _) = fixture.Model.Files.Single(f => f.Path == "model-00001-of-00002.safetensors");
        var content = await File.ReadAllBytesAsync(Path.Combine(fixture.Model.Directory, path));
        var route = $"/{Repo}/resolve/main/{path}";
        foreach (var (header, start, length) in new (string, long, long)[]
        {
            ("bytes=0-0", 0, 1), ("bytes=1048570-1048590", 1048570, 21), ("bytes=" + (size - 100) + "-", size - 100, 100),
            ("bytes=-4096", size - 4096, 4096), ("bytes=3000000-999999999999", 3000000, size - 3000000),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(route));
            request.Headers.TryAddWithoutValidation("Range", header);
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {start}-{start + length - 1}/{size}", response.Content.Headers.ContentRange?.ToString());
            Assert.Equal(length, response.Content.Headers.ContentLength);
            Assert.Equal(content.AsSpan((int)start, (int)length).ToArray(), await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(Commit, Header(response, "X-Repo-Commit"));
        }

        foreach (var header in new[] { $"bytes={size}-", $"bytes={size + 10}-{size + 20}", "bytes=9223372036854775806-" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(route));
            request.Headers.TryAddWithoutValidation("Range", header);
            using var response = await _http.SendAsync(request);
            await AssertHubErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, null);
            Assert.Equal($"bytes */{size}", response.Content.Headers.ContentRange?.ToString());
        }

        // A multi-range or unreadable header is ignored: the whole file (RFC 9110 §14.2), never a 500.
        foreach (var header in new[] { "bytes=0-1,5-6", "bytes=abc", "bytes=99999999999999999999999-" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(route));
            request.Headers.TryAddWithoutValidation("Range", header);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(size, response.Content.Headers.ContentLength);
        }

        // The empty file: 200 with the size the JS client reads from Content-Range.
        using var empty = new HttpRequestMessage(HttpMethod.Get, Url($"/{Repo}/resolve/main/empty.txt"));
        empty.Headers.TryAddWithoutValidation("Range", "bytes=0-0");
        using var e = await _http.SendAsync(empty);
        Assert.Equal(HttpStatusCode.OK, e.StatusCode);
        Assert.Equal(0, e.Content.Headers.ContentLength);
        Assert.Equal("bytes */0", e.Content.Headers.ContentRange?.ToString());
    }

    [Theory]
    [InlineData("GET", "/api/models/acme/no-such-model", 401, "RepoNotFound")]
    [InlineData("GET", "/api/models/acme/no-such-model/revision/main", 401, "RepoNotFound")]
    [InlineData("HEAD", "/acme/no-such-model/resolve/main/config.json", 401, "RepoNotFound")]
    [InlineData("GET", "/api/models/acme/tiny-llm/revision/no-such-branch", 404, "RevisionNotFound")]
    [InlineData("GET", "/api/models/acme/tiny-llm/revision/0123456789012345678901234567890123456789", 404, "RevisionNotFound")]
    [InlineData("GET", "/acme/tiny-llm/resolve/v9.9/config.json", 404, "RevisionNotFound")]
    [InlineData("GET", "/api/models/acme/tiny-llm/tree/bad..rev", 404, "RevisionNotFound")]
    [InlineData("GET", "/acme/tiny-llm/resolve/main/no-such-file.bin", 404, "EntryNotFound")]
    [InlineData("HEAD", "/acme/tiny-llm/resolve/main/nested", 404, "EntryNotFound")]
    [InlineData("GET", "/acme/tiny-llm/resolve/main/.hcpmodelfs/manifest.json", 404, "EntryNotFound")]
    [InlineData("GET", "/api/models/acme%2Ftiny-llm/revision/main", 400, null)]
    [InlineData("GET", "/api/models/ac..me/tiny-llm", 401, "RepoNotFound")]
    [InlineData("GET", "/api/models/-acme/tiny-llm", 401, "RepoNotFound")]
    [InlineData("GET", "/api/models/acme/tiny-llm.git", 401, "RepoNotFound")]
    [InlineData("GET", "/acme/a--b/resolve/main/config.json", 401, "RepoNotFound")]
    [InlineData("GET", "/gpt2/resolve/main/config.json", 401, "RepoNotFound")]
    [InlineData("GET", "/api/models/acme/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 401, "RepoNotFound")]
    [InlineData("GET", "/api/datasets/acme/tiny-llm", 404, "RepoNotFound")]
    [InlineData("GET", "/nothing/here", 404, null)]
    [InlineData("DELETE", "/api/models/acme/tiny-llm", 405, null)]
    public async Task Bad_input_gets_the_Hubs_error_never_a_500(string method, string route, int status, string? code)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), Url(route));
        using var response = await _http.SendAsync(request);
        await AssertHubErrorAsync(response, (HttpStatusCode)status, code);
        if (code == "EntryNotFound" && route.Contains("/resolve/", StringComparison.Ordinal))
        {
            // huggingface_hub records the miss under this commit (.no_exist) only when the 404 names it.
            Assert.Equal(Commit, Header(response, "X-Repo-Commit"));
        }
    }

    [Fact]
    public async Task A_token_turns_repo_not_found_from_401_into_404_as_on_the_Hub()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/api/models/acme/no-such-model"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "hf_anything");
        using var response = await _http.SendAsync(request);
        await AssertHubErrorAsync(response, HttpStatusCode.NotFound, "RepoNotFound");
    }

    [Fact]
    public async Task Dot_dot_segments_sent_raw_serve_nothing_outside_the_model()
    {
        // HttpClient and curl normalise "." and ".." (even as %2E): a raw request line is what an attacker sends.
        foreach (var target in new[]
        {
            $"/{Repo}/resolve/main/%2E%2E/%2E%2E/acme/tiny-llm/config.json",
            $"/{Repo}/resolve/main/nested/%2E/dir/weights.bin",
            $"/{Repo}/resolve/main/nested%2F..%2F..%2F..%2Fconfig.json",
            $"/{Repo}/resolve/main/../../../etc/passwd",
            $"/{Repo}/resolve/main/nested/../config.json",
            $"/acme/other/../tiny-llm/resolve/main/config.json",
            $"/api/models/{Repo}/tree/main/../..",
        })
        {
            var (status, head) = await RawGetAsync(fixture.Shared.Address, target);
            Assert.True(status is 404 or 400, $"{target}: {status}\n{head}");
            Assert.DoesNotContain("root:", head, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Curl_HEAD_and_Range_get_the_headers_and_the_bytes()
    {
        var (path, size, _) = fixture.Model.Files.Single(f => f.Path == "model-00002-of-00002.safetensors");
        var url = $"{fixture.Shared.HubUrl}/{Repo}/resolve/main/{path}";
        var head = await ProcessRunner.RunAsync("curl", ["-sS", "-I", "--noproxy", "*", url], Bounded);
        Assert.True(head.ExitCode == 0, head.ToString());
        Assert.Matches(@"^HTTP/1\.1 200", head.StandardOutput);
        Assert.Contains($"x-repo-commit: {Commit}", head.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"content-length: {size}", head.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"x-linked-etag: \"{fixture.Model.Sha256(path)}\"", head.StandardOutput, StringComparison.OrdinalIgnoreCase);

        var local = Path.Combine(fixture.Model.Directory, path);
        var range = await ProcessRunner.ShellAsync(
            $"curl -sS --noproxy '*' -r 4000000-4999999 -D - -o /tmp/hcpfs-curl-$$.bin '{url}' && cmp /tmp/hcpfs-curl-$$.bin <(tail -c +4000001 '{local}' | head -c 1000000) && echo SAME; rm -f /tmp/hcpfs-curl-$$.bin");
        Assert.True(range.ExitCode == 0, range.ToString());
        Assert.Contains("206", range.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"content-range: bytes 4000000-4999999/{size}", range.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("SAME\n", range.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whoami_answers_a_client_with_a_token_and_refuses_one_without()
    {
        using var anonymous = await GetAsync("/api/whoami-v2");
        await AssertHubErrorAsync(anonymous, HttpStatusCode.Unauthorized, null);
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/api/whoami-v2"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "hf_client");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        Assert.Equal("user", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("read", json.RootElement.GetProperty("auth").GetProperty("accessToken").GetProperty("role").GetString());
        Assert.DoesNotContain(Testing.Hub.ContractCatalog.Token, text, StringComparison.Ordinal);
    }

    internal static HttpClient Client(Uri address) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseProxy = false,
    })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromSeconds(60),
    };

    internal static void AssertNoXet(HttpResponseMessage response, string body)
    {
        var names = response.Headers.Concat(response.Content.Headers).Select(h => h.Key).ToList();
        Assert.DoesNotContain(names, n => n.Contains("xet", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("xetHash", body, StringComparison.Ordinal);
        Assert.DoesNotContain("xet-", string.Join(",", response.Headers.TryGetValues("Link", out var l) ? l : []), StringComparison.Ordinal);
    }

    internal static async Task AssertHubErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, response.Headers.TryGetValues("X-Error-Code", out var c) ? c.Single() : null);
        Assert.True(response.Headers.Contains("X-Error-Message"), "no X-Error-Message");
        if (response.RequestMessage?.Method != HttpMethod.Head)
        {
            Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("error").GetString()));
        }
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) || response.Content.Headers.TryGetValues(name, out v) ? v.Single() : null;

    private Uri Url(string route) => new(fixture.Shared.Address, route);

    private Task<HttpResponseMessage> GetAsync(string route) => _http.GetAsync(Url(route));

    private static async Task<(int Status, string Head)> RawGetAsync(Uri address, string target)
    {
        using var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(Bounded);
        await tcp.ConnectAsync(address.Host, address.Port, cts.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n"), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cts.Token);
        var status = int.Parse(text.Split(' ')[1], CultureInfo.InvariantCulture);
        return (status, text);
    }

    [GeneratedRegex("^<(https?://[^>]+)>;\\s+rel=\"next\"")]
    private static partial Regex LinkPattern();
}
