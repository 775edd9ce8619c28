using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using HcpModelFs.Hub;
using HcpModelFs.Hub.Http;
using HcpModelFs.Testing.Hub;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.IntegrationTests.Hub;

/// <summary>
/// <see cref="HttpModelHub"/> against every fault and error of the fake Hub: exact bytes or the right typed failure,
/// in bounded time, and never a token on the CDN host, in a log line or in an exception.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class HttpModelHubFaultTests : IAsyncLifetime
{
    private const string Token = ContractCatalog.Token;
    private static readonly TimeSpan Timeout = HubTestSupport.Timeout;
    private static readonly HubRepoId Model = HubRepoId.Parse(ContractCatalog.Model);

    private readonly FakeHubCatalog _catalog = ContractCatalog.Create(tensorBytesPerShard: 256 * 1024);
    private readonly CollectingLogger _logger = new();
    private FakeHubServer _server = null!;
    private HttpModelHub _hub = null!;

    private FakeHubCommit Head => _catalog.Repos[ContractCatalog.Model].Head;

    private FakeHubFile Shard => Head.Files["model-00001-of-00002.safetensors"];

    public async Task InitializeAsync()
    {
        _server = await FakeHubServer.StartAsync(_catalog).WaitAsync(Timeout);
        _hub = new HttpModelHub(HubTestSupport.Options(_server, Token), _logger);
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        var leaked = _server.CdnSawAuthorization;
        await _server.DisposeAsync();
        Assert.False(leaked, "the CDN saw an Authorization header");
        Assert.All(_logger.Lines, l => Assert.DoesNotContain(Token, l, StringComparison.Ordinal));
    }

    private async Task<byte[]> ReadAsync(FakeHubFile file, long offset, int length, HttpModelHub? hub = null,
        string? repo = null, string? commit = null)
    {
        var buffer = new byte[length];
        await (hub ?? _hub).ReadRangeAsync(repo is null ? Model : HubRepoId.Parse(repo), commit ?? Head.Sha, file.Path,
            offset, buffer, CancellationToken.None).AsTask().WaitAsync(Timeout);
        return buffer;
    }

    private static byte[] Expected(FakeHubFile file, long offset, int length)
    {
        var bytes = new byte[length];
        file.Content.Fill(offset, bytes);
        return bytes;
    }

    private async Task AssertReadsExactlyAsync(FakeHubFile file, long offset, int length) =>
        Assert.Equal(Expected(file, offset, length), await ReadAsync(file, offset, length));

    [Fact]
    public async Task ReadRange_lfs_file_goes_to_cdn_without_token_with_identity_and_user_agent()
    {
        _server.StrictCdn = true;
        await AssertReadsExactlyAsync(Shard, 1000, 50_000);
        var cdn = _server.Requests.Where(r => r.OnCdn).ToList();
        Assert.NotEmpty(cdn);
        Assert.All(cdn, r => Assert.False(r.HadAuthorization));
        Assert.All(_server.Requests.Where(r => !r.OnCdn), r => Assert.True(r.HadAuthorization));
        Assert.All(_server.Requests, r => Assert.StartsWith("hcpmodelfs/", r.UserAgent, StringComparison.Ordinal));
        Assert.All(_server.Requests, r => Assert.Equal("identity", r.AcceptEncoding));
        Assert.All(cdn, r => Assert.NotNull(r.Range));
    }

    [Fact]
    public async Task ReadRange_signed_url_is_cached_across_reads()
    {
        await AssertReadsExactlyAsync(Shard, 0, 10_000);
        await AssertReadsExactlyAsync(Shard, 20_000, 10_000);
        Assert.Single(_server.Requests, r => r.Route == FakeHubRouteKind.Resolve && r.Method == "HEAD");
        Assert.Equal(2, _server.Requests.Count(r => r.OnCdn));
    }

    [Fact]
    public async Task ReadRange_concurrent_readers_share_one_resolve_and_get_exact_bytes()
    {
        var reads = Enumerable.Range(0, 8).Select(async i =>
        {
            var offset = i * 20_000L;
            Assert.Equal(Expected(Shard, offset, 20_000), await ReadAsync(Shard, offset, 20_000));
        });
        await Task.WhenAll(reads).WaitAsync(Timeout);
        Assert.Single(_server.Requests, r => r.Route == FakeHubRouteKind.Resolve && r.Method == "HEAD");
        Assert.Equal(8, _server.Requests.Count(r => r.OnCdn));
    }

    [Fact]
    public async Task ReadRange_private_repo_in_resolve_cache_mode_keeps_token_on_relative_307()
    {
        var repo = _catalog.Repos[ContractCatalog.Private];
        repo.RegularFileMode = FakeResolveMode.ResolveCache;
        var file = repo.Head.Files["tokenizer.json"];
        var bytes = await ReadAsync(file, 0, (int)file.Size, repo: ContractCatalog.Private, commit: repo.Head.Sha);
        Assert.Equal(file.Content.ToArray(), bytes);
        Assert.Contains(_server.Requests, r => r.Route == FakeHubRouteKind.ResolveCache && r.HadAuthorization && r.Status == 200);
    }

    [Fact]
    public async Task ReadRange_renamed_private_repo_follows_relative_307_with_token()
    {
        var repo = _catalog.Repos[ContractCatalog.Private];
        repo.RenamedFrom.Add("old-acme/private-model");
        var file = repo.Head.Files["model.safetensors"];
        var bytes = await ReadAsync(file, 0, (int)file.Size, repo: "old-acme/private-model", commit: repo.Head.Sha);
        Assert.Equal(file.Content.ToArray(), bytes);
        Assert.Contains(_server.Requests, r => r.Status == 307 && r.HadAuthorization);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    public async Task ReadRange_transient_status_on_cdn_is_retried(int status)
    {
        var fault = _server.Faults.Add(FakeHubFault.Status(FakeHubRouteKind.Cdn, status, times: 2));
        await AssertReadsExactlyAsync(Shard, 5, 30_000);
        Assert.Equal(2, fault.Fired);
    }

    [Fact]
    public async Task ResolveRevision_5xx_on_api_is_retried()
    {
        var fault = _server.Faults.Add(FakeHubFault.Status(FakeHubRouteKind.Api, 502, times: 3));
        var rev = await _hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(Head.Sha, rev.CommitSha);
        Assert.Equal(3, fault.Fired);
    }

    [Fact]
    public async Task ResolveRevision_persistent_503_throws_Unavailable_after_retries()
    {
        _server.Faults.Add(FakeHubFault.Status(FakeHubRouteKind.Api, 503, times: int.MaxValue));
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            _hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.Unavailable, ex.Kind);
        Assert.Equal(5, _server.Requests.Count(r => r.Route == FakeHubRouteKind.Api));
    }

    [Fact]
    public async Task ResolveRevision_dead_hub_opens_the_circuit_and_later_calls_fail_fast()
    {
        var options = HubTestSupport.Options(_server, Token);
        options.CircuitMinimumThroughput = 3;
        options.CircuitBreakDuration = TimeSpan.FromMinutes(5);
        using var hub = new HttpModelHub(options);
        _server.Faults.Add(FakeHubFault.Status(FakeHubRouteKind.Api, 503, times: int.MaxValue));
        var first = await Assert.ThrowsAsync<HubException>(() =>
            hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout));
        var sent = _server.Requests.Count;
        var second = await Assert.ThrowsAsync<HubException>(() =>
            hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.Unavailable, first.Kind);
        Assert.Equal(HubErrorKind.Unavailable, second.Kind);
        Assert.Equal(3, sent);
        Assert.Equal(sent, _server.Requests.Count);
        Assert.NotNull(second.RetryAfter);
    }

    [Fact]
    public async Task ReadRange_429_with_retry_after_waits_and_succeeds()
    {
        var fault = _server.Faults.Add(FakeHubFault.RateLimited(FakeHubRouteKind.Resolve, retryAfterSeconds: 1));
        await AssertReadsExactlyAsync(Shard, 0, 1000);
        Assert.Equal(1, fault.Fired);
        Assert.Contains(_server.Requests, r => r.Status == 429);
    }

    [Fact]
    public async Task ListFiles_429_with_ratelimit_reset_waits_and_completes()
    {
        _server.PageSize = 3;
        var fault = _server.Faults.Add(new FakeHubFault
        {
            Kind = FakeHubFaultKind.RateLimited, Route = FakeHubRouteKind.Api, SkipFirst = 1, StatusCode = 429,
            RateLimitResetSeconds = 1,
        });
        var files = await ListAsync();
        Assert.Equal(Head.Files.Count, files.Count);
        Assert.Equal(1, fault.Fired);
    }

    [Fact]
    public async Task ResolveRevision_429_with_long_retry_after_throws_RateLimited_without_waiting()
    {
        _server.Faults.Add(FakeHubFault.RateLimited(FakeHubRouteKind.Api, retryAfterSeconds: 600, times: int.MaxValue));
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            _hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(HubErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(600), ex.RetryAfter);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ResolveRevision_exhausted_quota_waits_for_the_window_instead_of_a_429()
    {
        _server.ApiQuota = 1;
        _server.RateLimitWindowSeconds = 1;
        var first = await _hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout);
        var second = await _hub.ResolveRevisionAsync(Model, "v1.0", CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(Head.Sha, first.CommitSha);
        Assert.NotEqual(first.CommitSha, second.CommitSha);
        Assert.Contains(_logger.Lines, l => l.StartsWith("4005 ", StringComparison.Ordinal));
        Assert.DoesNotContain(_server.Requests, r => r.Status == 429);
    }

    [Fact]
    public async Task ReadRange_connection_reset_after_k_bytes_every_time_is_resumed_to_exact_bytes()
    {
        var fault = _server.Faults.Add(FakeHubFault.ResetAfter(FakeHubRouteKind.Cdn, 16 * 1024, times: int.MaxValue));
        await AssertReadsExactlyAsync(Shard, 100, 100_000);
        Assert.True(fault.Fired >= 6, $"fired {fault.Fired}");
    }

    [Fact]
    public async Task ReadRange_reset_before_any_byte_is_retried()
    {
        var fault = _server.Faults.Add(FakeHubFault.ResetAfter(FakeHubRouteKind.Cdn, 0, times: 2));
        await AssertReadsExactlyAsync(Shard, 0, 20_000);
        Assert.Equal(2, fault.Fired);
    }

    [Fact]
    public async Task ReadRange_stalled_body_is_abandoned_and_resumed()
    {
        var fault = _server.Faults.Add(FakeHubFault.Stall(FakeHubRouteKind.Cdn, 8 * 1024, TimeSpan.FromMinutes(2)));
        await AssertReadsExactlyAsync(Shard, 0, 60_000);
        Assert.Equal(1, fault.Fired);
        Assert.True(_server.Requests.Count(r => r.OnCdn) >= 2);
    }

    [Fact]
    public async Task ListFiles_stalled_json_page_is_retried()
    {
        var options = HubTestSupport.Options(_server, Token);
        options.RequestTimeout = TimeSpan.FromSeconds(2);
        using var hub = new HttpModelHub(options);
        _server.PageSize = 4;
        var fault = _server.Faults.Add(new FakeHubFault
        {
            Kind = FakeHubFaultKind.Stall, Route = FakeHubRouteKind.Api, SkipFirst = 1, AfterBytes = 10,
            Duration = TimeSpan.FromMinutes(2),
        });
        using var cts = new CancellationTokenSource(Timeout);
        var files = new List<HubFile>();
        await foreach (var f in hub.ListFilesAsync(Model, Head.Sha, cts.Token))
        {
            files.Add(f);
        }

        Assert.Equal(Head.Files.Count, files.Count);
        Assert.Equal(1, fault.Fired);
    }

    [Fact]
    public async Task ReadRange_throttled_body_returns_exact_bytes()
    {
        _server.Faults.Add(FakeHubFault.Throttle(FakeHubRouteKind.Cdn, 512 * 1024));
        await AssertReadsExactlyAsync(Shard, 3, 100_000);
    }

    [Fact]
    public async Task ReadRange_server_ignoring_range_is_handled_by_skipping()
    {
        var fault = _server.Faults.Add(FakeHubFault.IgnoreRange(FakeHubRouteKind.Cdn));
        await AssertReadsExactlyAsync(Shard, 77_777, 10_000);
        Assert.True(fault.Fired >= 1);
        Assert.Contains(_server.Requests, r => r.OnCdn && r.Range is not null && r.Status == 200);
    }

    [Fact]
    public async Task ReadRange_expired_signature_resolves_again()
    {
        _server.Faults.Add(FakeHubFault.ExpiredSignature());
        await AssertReadsExactlyAsync(Shard, 0, 10_000);
        Assert.Equal(2, _server.Requests.Count(r => r.Route == FakeHubRouteKind.Resolve && r.Method == "HEAD"));
        Assert.Contains(_server.Requests, r => r.OnCdn && r.Status == 403);
    }

    [Fact]
    public async Task ReadRange_after_all_signed_urls_expire_resolves_again()
    {
        await AssertReadsExactlyAsync(Shard, 0, 10_000);
        _server.ExpireAllSignedUrls();
        await AssertReadsExactlyAsync(Shard, 10_000, 10_000);
        Assert.Equal(2, _server.Requests.Count(r => r.Route == FakeHubRouteKind.Resolve && r.Method == "HEAD"));
    }

    [Fact]
    public async Task ReadRange_client_clock_past_expiry_resolves_again_without_a_403()
    {
        var clock = new OffsetTimeProvider();
        using var hub = new HttpModelHub(HubTestSupport.Options(_server, Token), timeProvider: clock);
        _server.SignedUrlTtl = TimeSpan.FromMinutes(10);
        Assert.Equal(Expected(Shard, 0, 1000), await ReadAsync(Shard, 0, 1000, hub));
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(Expected(Shard, 1000, 1000), await ReadAsync(Shard, 1000, 1000, hub));
        Assert.Equal(2, _server.Requests.Count(r => r.Route == FakeHubRouteKind.Resolve && r.Method == "HEAD"));
        Assert.DoesNotContain(_server.Requests, r => r.Status == 403);
    }

    [Fact]
    public async Task ReadRange_wrong_bytes_in_whole_file_read_throws_Integrity()
    {
        _server.Faults.Add(FakeHubFault.WrongBytes(FakeHubRouteKind.Cdn, atOffset: 12_345));
        var ex = await Assert.ThrowsAsync<HubException>(() => ReadAsync(Shard, 0, (int)Shard.Size));
        Assert.Equal(HubErrorKind.Integrity, ex.Kind);
    }

    [Fact]
    public async Task ReadRange_wrong_linked_size_throws_Integrity()
    {
        _server.Faults.Add(FakeHubFault.WrongLinkedSize());
        var ex = await Assert.ThrowsAsync<HubException>(() => ReadAsync(Shard, 0, 1000));
        Assert.Equal(HubErrorKind.Integrity, ex.Kind);
    }

    [Fact]
    public async Task ListFiles_reset_mid_page_is_retried_and_complete()
    {
        _server.PageSize = 2;
        var fault = _server.Faults.Add(new FakeHubFault
        {
            Kind = FakeHubFaultKind.Status, Route = FakeHubRouteKind.Api, SkipFirst = 2, StatusCode = 500,
        });
        var files = await ListAsync();
        Assert.Equal(Head.Files.Keys.Order(StringComparer.Ordinal), files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(1, fault.Fired);
        Assert.True(_server.Requests.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)) >= 6);
    }

    [Fact]
    public async Task ReadRange_multi_gib_file_reads_far_offsets_without_holding_it()
    {
        var size = (3L << 30) + 12345;
        var big = FakeHubFile.Lfs("huge/model.safetensors", FakeContent.Generated(size, 99), knownSha256: new string('e', 64));
        var repo = _catalog.AddRepo("acme/huge-model", [big]);
        var buffer = new byte[256 * 1024];
        await _hub.ReadRangeAsync(HubRepoId.Parse("acme/huge-model"), repo.Head.Sha, big.Path, size - buffer.Length,
            buffer, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(Expected(big, size - buffer.Length, buffer.Length), buffer);
        var cdn = _server.Requests.Single(r => r.OnCdn);
        Assert.Equal($"bytes={size - buffer.Length}-{size - 1}", cdn.Range);
    }

    [Fact]
    public async Task ReadRange_repo_served_from_a_folder_returns_its_bytes()
    {
        var folder = Directory.CreateTempSubdirectory("hcpmodelfs-folder-model-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "sub dir"));
            await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), "{\"a\": 1}\n");
            await File.WriteAllBytesAsync(Path.Combine(folder, "sub dir", "weights.bin"),
                Enumerable.Range(0, 50_000).Select(i => (byte)(i % 251)).ToArray());
            var repo = _catalog.AddRepo("acme/from-folder", FolderModel.Load(folder));
            var weights = repo.Head.Files["sub dir/weights.bin"];
            Assert.True(weights.IsLfs);
            var id = HubRepoId.Parse("acme/from-folder");
            var listed = new List<HubFile>();
            await foreach (var f in _hub.ListFilesAsync(id, repo.Head.Sha, CancellationToken.None))
            {
                listed.Add(f);
            }

            Assert.Equal(["config.json", "sub dir/weights.bin"], listed.Select(f => f.Path).Order(StringComparer.Ordinal));
            var buffer = new byte[weights.Size];
            await _hub.ReadRangeAsync(id, repo.Head.Sha, weights.Path, 0, buffer, CancellationToken.None)
                .AsTask().WaitAsync(Timeout);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "sub dir", "weights.bin")), buffer);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Errors_never_contain_the_token()
    {
        var messages = new List<string>();
        async Task Capture(Func<Task> action)
        {
            var ex = await Assert.ThrowsAsync<HubException>(action);
            messages.Add(ex.ToString());
        }

        using var badToken = new HttpModelHub(HubTestSupport.Options(_server, ContractCatalog.UnknownToken), _logger);
        await Capture(() => badToken.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout));
        using var other = new HttpModelHub(HubTestSupport.Options(_server, ContractCatalog.OtherToken), _logger);
        await Capture(() => other.ReadRangeAsync(HubRepoId.Parse(ContractCatalog.Gated),
            _catalog.Repos[ContractCatalog.Gated].Head.Sha, "config.json", 0, new byte[1], CancellationToken.None)
            .AsTask().WaitAsync(Timeout));
        _server.Faults.Add(FakeHubFault.Status(FakeHubRouteKind.Any, 503, times: int.MaxValue));
        await Capture(() => _hub.ResolveRevisionAsync(Model, "main", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(3, messages.Count);
        foreach (var token in new[] { Token, ContractCatalog.UnknownToken, ContractCatalog.OtherToken })
        {
            Assert.All(messages, m => Assert.DoesNotContain(token, m, StringComparison.Ordinal));
            Assert.All(_logger.Lines, l => Assert.DoesNotContain(token, l, StringComparison.Ordinal));
        }

        Assert.NotEmpty(_logger.Lines);
    }

    private async Task<List<HubFile>> ListAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var files = new List<HubFile>();
        await foreach (var f in _hub.ListFilesAsync(Model, Head.Sha, cts.Token))
        {
            files.Add(f);
        }

        return files;
    }

    private sealed class CollectingLogger : ILogger<HttpModelHub>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => [.. _lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{eventId.Id} {formatter(state, exception)} {exception}");
    }
}
