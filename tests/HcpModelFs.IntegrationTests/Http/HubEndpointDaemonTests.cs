using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.IntegrationTests.Reliability;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;
using Xunit.Abstractions;

namespace HcpModelFs.IntegrationTests.Http;

/// <summary>
/// The endpoint as a daemon: pull-through of a model the store lacks (bytes while the ingest runs), 16 clients on one
/// cold file (each block fetched from the store once), client tokens, and `mount --serve` sharing one cache.
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed class HubEndpointDaemonTests(RgwFixture rgw, HubEndpointFixture fixture, ITestOutputHelper output)
    : IClassFixture<HubEndpointFixture>, IAsyncLifetime
{
    private const string Repo = PublishedModel.Org + "/" + PublishedModel.Name;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly List<Testing.Http.HubEndpointDaemon> _mine = [];

    public async Task InitializeAsync() => await fixture.EnsureStartedAsync(rgw).WaitAsync(TimeSpan.FromMinutes(3));

    public Task DisposeAsync()
    {
        foreach (var daemon in _mine)
        {
            var log = daemon.Process.StandardError;
            output.WriteLine(log[Math.Max(0, log.Length - 20_000)..]);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_model_missing_from_the_store_is_ingested_on_first_request_and_bytes_flow_before_it_is_in()
    {
        // 2 MB/s per CDN response: the whole model takes seconds, the first block well under one.
        fixture.Hub.Faults.Add(FakeHubFault.Throttle(FakeHubRouteKind.Cdn, 2_000_000));
        try
        {
            var daemon = await StartAsync();
            using var http = HubEndpointContractTests.Client(daemon.Address);
            var repo = $"{HubEndpointFixture.HubOrg}/{HubEndpointFixture.PulledModel}";
            var manifestKey = $"{fixture.Prefix}{repo}/{fixture.PulledCommit}/.hcpmodelfs/manifest.json";

            using var info = await http.GetAsync(new Uri($"/api/models/{repo}/revision/main", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
            using var json = JsonDocument.Parse(await info.Content.ReadAsStringAsync());
            Assert.Equal(fixture.PulledCommit, json.RootElement.GetProperty("sha").GetString());
            Assert.Equal(fixture.PulledFiles.Select(f => f.Path).Order(StringComparer.Ordinal),
                json.RootElement.GetProperty("siblings").EnumerateArray().Select(s => s.GetProperty("rfilename").GetString()!).Order(StringComparer.Ordinal));

            // The tree carries the Hub's identities: git oid, and lfs.oid = sha256 for LFS files; no Xet.
            using var tree = await http.GetAsync(new Uri($"/api/models/{repo}/tree/{fixture.PulledCommit}?recursive=true", UriKind.Relative));
            var treeText = await tree.Content.ReadAsStringAsync();
            HubEndpointContractTests.AssertNoXet(tree, treeText);
            using var treeJson = JsonDocument.Parse(treeText);
            foreach (var entry in treeJson.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString() == "file"))
            {
                var file = fixture.PulledFiles.Single(f => f.Path == entry.GetProperty("path").GetString());
                Assert.Equal(file.GitOid, entry.GetProperty("oid").GetString());
                Assert.Equal(file.IsLfs ? file.Sha256 : null, entry.TryGetProperty("lfs", out var lfs) ? lfs.GetProperty("oid").GetString() : null);
            }

            // The first bytes of a shard arrive while the ingest is still running: no wait for the whole file.
            var shard = fixture.PulledFiles.First(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal));
            var watch = Stopwatch.StartNew();
            using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri($"/{repo}/resolve/main/{shard.Path}", UriKind.Relative));
            probe.Headers.Range = new RangeHeaderValue(0, 4095);
            using var first = await http.SendAsync(probe);
            var head = await first.Content.ReadAsByteArrayAsync();
            watch.Stop();
            Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);
            Assert.Equal(fixture.PulledCommit, HubEndpointContractTests.Header(first, "X-Repo-Commit"));
            Assert.Equal($"\"{shard.Sha256}\"", HubEndpointContractTests.Header(first, "X-Linked-Etag"));
            Assert.Equal(shard.Content.ToArray().AsSpan(0, 4096).ToArray(), head);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"first bytes took {watch.Elapsed}");
            using var store = rgw.CreateStore();
            Assert.Null(await store.HeadAsync(manifestKey, CancellationToken.None));

            // Every file whole, every byte checked (the ends wait for each file's verification).
            foreach (var file in fixture.PulledFiles)
            {
                using var get = await http.GetAsync(new Uri($"/{repo}/resolve/main/{Uri.EscapeDataString(file.Path).Replace("%2F", "/", StringComparison.Ordinal)}", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(await get.Content.ReadAsByteArrayAsync())));
            }

            await WaitForAsync(async () => await store.HeadAsync(manifestKey, CancellationToken.None) is not null, "the manifest");
            Assert.False(fixture.Hub.CdnSawAuthorization, "the daemon's token reached the CDN host");
        }
        finally
        {
            fixture.Hub.Faults.Clear();
        }
    }

    [Fact]
    public async Task Bytes_from_the_Hub_that_fail_their_check_never_reach_a_client_as_a_complete_file()
    {
        // Every CDN range covering 2 MiB comes back wrong: only the shard is affected.
        fixture.Hub.Faults.Add(FakeHubFault.WrongBytes(FakeHubRouteKind.Cdn, 2L << 20));
        try
        {
            var daemon = await StartAsync();
            using var http = HubEndpointContractTests.Client(daemon.Address);
            var shard = fixture.BadBytesFiles.Single(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal));
            var route = new Uri($"/{HubEndpointFixture.HubOrg}/{HubEndpointFixture.BadBytesModel}/resolve/main/{shard.Path}", UriKind.Relative);

            // The end of the file waits for its verification, which fails: the connection breaks, the body is short.
            using (var response = await http.GetAsync(route, HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());
            }

            // Once the failure is known, the file answers the Hub-style 502 at once, with no body to take for the file.
            await WaitForAsync(async () =>
            {
                using var again = await http.GetAsync(route);
                Assert.NotEqual(HttpStatusCode.OK, again.StatusCode);
                Assert.NotEqual(HttpStatusCode.InternalServerError, again.StatusCode);
                return again.StatusCode == HttpStatusCode.BadGateway;
            }, "the failed file to answer 502");
            Assert.Contains("connection aborted", daemon.Process.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Hub.Faults.Clear();
        }
    }

    [Fact]
    public async Task Sixteen_clients_on_one_cold_file_fetch_each_block_from_the_store_once()
    {
        var daemon = await StartAsync();
        var (path, size, _) = fixture.Model.Files.Single(f => f.Path == "model-00001-of-00002.safetensors");
        var key = fixture.FileKey(path);
        var sha256 = fixture.Model.Sha256(path);
        fixture.Proxy.ClearLog();
        using var http = HubEndpointContractTests.Client(daemon.Address);
        var bodies = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await http.GetAsync(new Uri($"/{Repo}/resolve/main/{path}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
        })).WaitAsync(Bounded);
        Assert.All(bodies, b => Assert.Equal(sha256, b));

        // Every byte fetched once; block 0 may come as two GETs (its first bytes, checked on their own, and the rest).
        var blocks = (size + (1 << 20) - 1) >> 20;
        var gets = fixture.Proxy.Requests.Where(r => r.Method == "GET" && r.Key == key && r.Status is 200 or 206).ToList();
        var failures = FetchOnceCheck.Failures(gets.Select(r => (key, r.Range)), new Dictionary<string, long>(StringComparer.Ordinal) { [key] = size });
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(gets.Count <= blocks + 1, $"{gets.Count} GETs for {blocks} blocks: {string.Join(", ", gets.Select(g => g.Range))}");
    }

    [Fact]
    public async Task With_a_tokens_file_only_listed_bearer_tokens_get_in_and_the_daemons_HF_token_never_comes_out()
    {
        var tokens = Path.Combine(fixture.NewDirectory("tokens"), "tokens");
        await File.WriteAllTextAsync(tokens, "# clients\nhf_client_one\n\nhf_client_two\n");
        var daemon = await StartAsync(new() { ["HCPMODELFS_HTTP_TOKENS_FILE"] = tokens });
        using var http = HubEndpointContractTests.Client(daemon.Address);
        var route = new Uri($"/api/models/{Repo}/revision/main", UriKind.Relative);

        using var none = await http.GetAsync(route);
        await HubEndpointContractTests.AssertHubErrorAsync(none, HttpStatusCode.Unauthorized, "RepoNotFound");
        using var wrong = await SendAsync(http, HttpMethod.Get, route, "hf_client_three");
        await HubEndpointContractTests.AssertHubErrorAsync(wrong, HttpStatusCode.Unauthorized, null);
        using var resolveWrong = await SendAsync(http, HttpMethod.Head, new Uri($"/{Repo}/resolve/main/config.json", UriKind.Relative), "hf_client_one_");
        Assert.Equal(HttpStatusCode.Unauthorized, resolveWrong.StatusCode);

        foreach (var token in new[] { "hf_client_one", "hf_client_two" })
        {
            using var ok = await SendAsync(http, HttpMethod.Get, route, token);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var whoami = await SendAsync(http, HttpMethod.Get, new Uri("/api/whoami-v2", UriKind.Relative), token);
            Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
            var text = await whoami.Content.ReadAsStringAsync();
            Assert.DoesNotContain(ContractCatalog.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        }

        using var file = await SendAsync(http, HttpMethod.Get, new Uri($"/{Repo}/resolve/main/config.json", UriKind.Relative), "hf_client_two");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.DoesNotContain(file.Headers.Concat(file.Content.Headers).SelectMany(h => h.Value), v => v.Contains(ContractCatalog.Token, StringComparison.Ordinal));

        // Neither the daemon's token nor the clients' reach the log.
        var log = daemon.Process.StandardError + daemon.Process.StandardOutput;
        Assert.Contains("client tokens required (2 allowed)", log, StringComparison.Ordinal);
        Assert.DoesNotContain(ContractCatalog.Token, log, StringComparison.Ordinal);
        Assert.DoesNotContain("hf_client_", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_and_serve_in_one_process_share_one_cache()
    {
        var mountPoint = fixture.NewDirectory("mnt");
        var daemon = await StartAsync(mountPoint: mountPoint);
        var (path, _, _) = fixture.Model.Files.Single(f => f.Path == "model-00002-of-00002.safetensors");
        var key = fixture.FileKey(path);
        fixture.Proxy.ClearLog();
        using var http = HubEndpointContractTests.Client(daemon.Address);
        var viaHttp = await http.GetByteArrayAsync(new Uri($"/{Repo}/resolve/main/{path}", UriKind.Relative));
        Assert.Equal(fixture.Model.Sha256(path), Convert.ToHexStringLower(SHA256.HashData(viaHttp)));
        var fetched = fixture.Proxy.Count(r => r.Method == "GET" && r.Key == key);
        Assert.True(fetched > 0, "the HTTP read fetched nothing from the store");

        var viaMount = await ProcessRunner.ShellAsync($"sha256sum '{Path.Combine(mountPoint, PublishedModel.Org, PublishedModel.Name, path)}'");
        Assert.True(viaMount.ExitCode == 0, viaMount.ToString());
        Assert.Equal(fixture.Model.Sha256(path), viaMount.StandardOutput[..64]);
        // The mount read the blocks the HTTP door put in the cache: no second fetch.
        Assert.Equal(fetched, fixture.Proxy.Count(r => r.Method == "GET" && r.Key == key));
    }

    [Fact]
    public async Task A_store_that_fails_is_a_503_never_a_500_and_reads_resume_when_it_is_back()
    {
        var daemon = await StartAsync(new() { ["HCP_MAX_RETRIES"] = "0" });
        var (path, _, _) = fixture.Model.Files.Single(f => f.Path == "nested/dir/weights.bin");
        var key = fixture.FileKey(path);
        var route = new Uri($"/{Repo}/resolve/main/{path}", UriKind.Relative);
        using var http = HubEndpointContractTests.Client(daemon.Address);
        // Metadata first, so only the data GETs of this file meet the failing store.
        using (var head = new HttpRequestMessage(HttpMethod.Head, route))
        {
            using var ok = await http.SendAsync(head);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        fixture.Proxy.AddRule(new FaultRule(FaultKind.InternalError) { Match = r => r.Method == "GET" && r.Key == key });
        try
        {
            using var failed = await http.GetAsync(route);
            await HubEndpointContractTests.AssertHubErrorAsync(failed, HttpStatusCode.ServiceUnavailable, null);
        }
        finally
        {
            fixture.Proxy.ClearRules();
        }

        await WaitForAsync(async () =>
        {
            using var again = await http.GetAsync(route);
            Assert.NotEqual(HttpStatusCode.InternalServerError, again.StatusCode);
            return again.StatusCode == HttpStatusCode.OK &&
                Convert.ToHexStringLower(SHA256.HashData(await again.Content.ReadAsByteArrayAsync())) == fixture.Model.Sha256(path);
        }, "reads to resume");
        Assert.DoesNotContain("   at ", daemon.Process.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_ingest_on_lookup_model_info_alone_brings_the_model_into_the_store()
    {
        var daemon = await StartAsync(new() { ["HCPMODELFS_INGEST_ON"] = "lookup" });
        using var http = HubEndpointContractTests.Client(daemon.Address);
        var repo = $"{HubEndpointFixture.HubOrg}/{HubEndpointFixture.LookupModel}";
        using var info = await http.GetAsync(new Uri($"/api/models/{repo}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        using var store = rgw.CreateStore();
        var manifestKey = $"{fixture.Prefix}{repo}/{fixture.LookupCommit}/.hcpmodelfs/manifest.json";
        // No file was asked for: only the lookup trigger can have started this ingest.
        await WaitForAsync(async () => await store.HeadAsync(manifestKey, CancellationToken.None) is not null, "the manifest");
    }

    [Fact]
    public async Task An_address_in_use_is_one_log_line_and_exit_code_1()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var result = await ProcessRunner.RunAsync("dotnet", [Testing.Fuse.ModelFsDaemon.Dll, "serve", "--listen", $"127.0.0.1:{port}"], Bounded, fixture.Environment());
        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = (result.StandardError + result.StandardOutput).Split('\n').Where(l => l.Contains("Cannot listen on", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, Uri route, string token)
    {
        using var request = new HttpRequestMessage(method, route);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private async Task<Testing.Http.HubEndpointDaemon> StartAsync(Dictionary<string, string>? extra = null, string? mountPoint = null)
    {
        var daemon = await fixture.StartDaemonAsync(extra, mountPoint);
        _mine.Add(daemon);
        return daemon;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        // A bounded wait for a state another process reaches: never a fixed sleep standing in for synchronisation.
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < Bounded, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
