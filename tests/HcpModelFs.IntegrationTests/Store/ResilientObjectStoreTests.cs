using System.Diagnostics;
using Amazon.S3.Model;
using HcpModelFs.Store;
using HcpModelFs.Store.Resilience;
using HcpModelFs.Store.S3;
using HcpModelFs.Testing.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.IntegrationTests.Store;

/// <summary>
/// The store layer (ResilientObjectStore over S3ObjectStore) against Ceph RGW behind the fault proxy: bytes stay
/// exact, failures surface as typed errors within bounded time.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in IAsyncLifetime.DisposeAsync
public sealed class ResilientObjectStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int ObjectSize = 24 << 20;
    private const int RangeLength = 8 << 20;
    private const long RangeOffset = 3_000_001;
    private readonly RgwFixture _rgw;
    private readonly string _key = $"fault/{Guid.NewGuid():N}/object.bin";
    private readonly byte[] _data = new byte[ObjectSize];
    private readonly CapturingLoggerFactory _logs = new();
    private S3FaultProxy? _proxy;
    private S3ObjectStore? _s3;

    public ResilientObjectStoreTests(RgwFixture rgw)
    {
        _rgw = rgw;
        new Random(42).NextBytes(_data);
    }

    private S3FaultProxy Proxy => _proxy!;

    public async Task InitializeAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync);
        using var cts = new CancellationTokenSource(Timeout);
        await _rgw.AdminClient.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _rgw.Bucket,
            Key = _key,
            InputStream = new MemoryStream(_data),
            UseChunkEncoding = false,
        }, cts.Token);
        _s3 = _rgw.CreateStore(Proxy.Endpoint);
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }

    private ResilientObjectStore Resilient(ResilienceOptions? options = null) => new(_s3!, options ?? new ResilienceOptions
    {
        AttemptTimeout = TimeSpan.FromSeconds(3),
        MaxRetries = 4,
        BaseDelay = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromMilliseconds(500),
    }, _logs.CreateLogger<ResilientObjectStore>());

    private async Task<byte[]> ReadAsync(ResilientObjectStore store)
    {
        var buffer = new byte[RangeLength];
        await store.ReadRangeAsync(_key, RangeOffset, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
        return buffer;
    }

    private void AssertExact(byte[] buffer) =>
        Assert.True(_data.AsSpan((int)RangeOffset, RangeLength).SequenceEqual(buffer), "bytes differ from the object");

    private int DataGets() => Proxy.Count(r => r.Method == "GET" && r.Key == _key);

    [Fact]
    public async Task ReadRange_through_pass_through_proxy_is_one_ranged_get()
    {
        AssertExact(await ReadAsync(Resilient()));
        var get = Assert.Single(Proxy.Requests, r => r.Key == _key);
        Assert.Equal($"bytes={RangeOffset}-{RangeOffset + RangeLength - 1}", get.Range);
        Assert.Equal(206, get.Status);
    }

    [Fact]
    public async Task ReadRange_after_503_SlowDown_retries_and_returns_exact_bytes()
    {
        Proxy.AddRule(new FaultRule(FaultKind.SlowDown) { Match = FaultRule.DataGet, Times = 2 });
        AssertExact(await ReadAsync(Resilient()));
        Assert.Equal(3, DataGets());
        Assert.Equal(2, Proxy.Count(r => r.Status == 503));
    }

    [Fact]
    public async Task ReadRange_after_429_waits_for_Retry_After()
    {
        Proxy.AddRule(new FaultRule(FaultKind.TooManyRequests) { Match = FaultRule.DataGet, Times = 1, RetryAfterSeconds = 1 });
        var watch = Stopwatch.StartNew();
        AssertExact(await ReadAsync(Resilient()));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {watch.Elapsed}");
        Assert.Equal(2, DataGets());
    }

    [Fact]
    public async Task ReadRange_after_reset_mid_body_continues_from_where_it_stopped()
    {
        Proxy.AddRule(new FaultRule(FaultKind.ResetMidBody) { Match = FaultRule.DataGet, Times = 2, AfterBytes = 1 << 20 });
        AssertExact(await ReadAsync(Resilient()));
        var ranges = Proxy.Requests.Where(r => r.Key == _key).Select(r => r.Range).ToList();
        Assert.Equal(3, ranges.Count);
        // Continuations ask only for what is missing, not the whole range again.
        Assert.NotEqual(ranges[0], ranges[1]);
        Assert.NotEqual(ranges[1], ranges[2]);
        Assert.EndsWith($"-{RangeOffset + RangeLength - 1}", ranges[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadRange_answered_200_with_an_error_document_retries_and_returns_exact_bytes()
    {
        Proxy.AddRule(new FaultRule(FaultKind.ErrorInOk) { Match = FaultRule.DataGet, Times = 2 });
        AssertExact(await ReadAsync(Resilient()));
        Assert.Equal(3, DataGets());
    }

    [Fact]
    public async Task ReadRange_with_truncated_bodies_never_returns_short()
    {
        Proxy.AddRule(new FaultRule(FaultKind.TruncateBody) { Match = FaultRule.DataGet, Times = 3, AfterBytes = 100_000 });
        AssertExact(await ReadAsync(Resilient()));
        Assert.Equal(4, DataGets());
    }

    [Fact]
    public async Task ReadRange_truncated_every_time_fails_Truncated_within_bounded_time()
    {
        Proxy.AddRule(new FaultRule(FaultKind.TruncateBody) { Match = FaultRule.DataGet, AfterBytes = 1000 });
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<StoreException>(() => ReadAsync(Resilient()));
        Assert.Equal(StoreErrorKind.Truncated, e.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Equal((S3ObjectStore.MaxContinuations + 1) * 5, DataGets());
    }

    [Fact]
    public async Task ReadRange_stalled_body_times_out_and_retry_succeeds()
    {
        Proxy.AddRule(new FaultRule(FaultKind.Stall) { Match = FaultRule.DataGet, Times = 1, AfterBytes = 4096, Delay = TimeSpan.FromSeconds(20) });
        var watch = Stopwatch.StartNew();
        AssertExact(await ReadAsync(Resilient()));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15));
        Assert.Equal(2, DataGets());
    }

    [Fact]
    public async Task ReadRange_with_added_latency_still_exact()
    {
        Proxy.AddRule(new FaultRule(FaultKind.Latency) { Match = FaultRule.DataGet, Times = 1, Delay = TimeSpan.FromMilliseconds(300) });
        var watch = Stopwatch.StartNew();
        AssertExact(await ReadAsync(Resilient()));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290));
        Assert.Equal(1, DataGets());
    }

    [Fact]
    public async Task ReadRange_with_random_resets_and_slowdowns_keeps_every_byte()
    {
        Proxy.AddRule(new FaultRule(FaultKind.ResetMidBody) { Match = FaultRule.DataGet, Probability = 0.05, AfterBytes = 300_000 });
        Proxy.AddRule(new FaultRule(FaultKind.SlowDown) { Match = FaultRule.DataGet, Probability = 0.05 });
        var store = Resilient();
        var buffer = new byte[1 << 20];
        for (var i = 0; i < 40; i++)
        {
            var offset = (long)i * 512 * 1024;
            await store.ReadRangeAsync(_key, offset, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
            Assert.True(_data.AsSpan((int)offset, buffer.Length).SequenceEqual(buffer), $"bytes differ at {offset}");
        }
    }

    [Fact]
    public async Task CompleteMultipart_error_inside_200_is_not_retried()
    {
        var store = Resilient();
        var key = _key + ".mp";
        var id = await store.CreateMultipartAsync(key, CancellationToken.None).WaitAsync(Timeout);
        var part = await store.UploadPartAsync(key, id, 1, new byte[1000], CancellationToken.None).WaitAsync(Timeout);
        Proxy.AddRule(new FaultRule(FaultKind.ErrorInOk) { Match = r => r.Method == "POST" && r.Key == key && r.Query.Contains("uploadId=", StringComparison.Ordinal) });
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            store.CompleteMultipartAsync(key, id, [part], CancellationToken.None).WaitAsync(Timeout));
        Assert.True(e.Ambiguous);
        Assert.Equal(1, Proxy.Count(r => r.Method == "POST" && r.Key == key && r.Query.Contains("uploadId=", StringComparison.Ordinal)));
        Proxy.ClearRules();
        await store.AbortMultipartAsync(key, id, CancellationToken.None).WaitAsync(Timeout);
    }

    [Fact]
    public async Task Store_answering_500_opens_the_circuit_and_then_fails_fast()
    {
        Proxy.AddRule(new FaultRule(FaultKind.InternalError));
        var store = Resilient(new ResilienceOptions
        {
            AttemptTimeout = TimeSpan.FromSeconds(2),
            MaxRetries = 2,
            BaseDelay = TimeSpan.FromMilliseconds(10),
            BreakerMinimumThroughput = 4,
            BreakerBreakDuration = TimeSpan.FromSeconds(30),
        });
        var watch = Stopwatch.StartNew();
        var first = await Assert.ThrowsAsync<StoreException>(() => ReadAsync(store));
        Assert.Equal(StoreErrorKind.Unavailable, first.Kind);
        var second = await Assert.ThrowsAsync<StoreException>(() => ReadAsync(store));
        Assert.Equal(StoreErrorKind.CircuitOpen, second.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        var before = Proxy.Requests.Count;
        watch.Restart();
        var third = await Assert.ThrowsAsync<StoreException>(() => ReadAsync(store));
        Assert.Equal(StoreErrorKind.CircuitOpen, third.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(200), $"open circuit took {watch.Elapsed}");
        Assert.Equal(before, Proxy.Requests.Count);
    }

    [Fact]
    public async Task Store_down_fails_Unavailable_within_ten_seconds()
    {
        var deadPort = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        deadPort.Start();
        var endpoint = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)deadPort.LocalEndpoint).Port}/");
        deadPort.Stop();
        using var s3 = _rgw.CreateStore(endpoint);
        var store = new ResilientObjectStore(s3, new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(50) });
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            store.HeadAsync(_key, CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains(e.Kind, new[] { StoreErrorKind.Unavailable, StoreErrorKind.CircuitOpen });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Wrong_secret_and_dead_endpoint_never_put_credentials_in_logs_or_exceptions()
    {
        const string secret = "Sup3r-Secret-Value-That-Must-Never-Leak";
        var settings = _rgw.Settings(Proxy.Endpoint, secretKey: secret) with { RootCaPath = null };
        using var wrong = S3ObjectStore.Create(settings, _logs);
        var store = new ResilientObjectStore(wrong, new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 2 },
            _logs.CreateLogger<ResilientObjectStore>());
        var denied = await Assert.ThrowsAsync<StoreException>(() =>
            store.ReadRangeAsync(_key, 0, new byte[100], null, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.AccessDenied, denied.Kind);
        var put = await Assert.ThrowsAsync<StoreException>(() =>
            store.PutAsync(_key + ".x", new byte[10], CancellationToken.None).WaitAsync(Timeout));

        using var dead = S3ObjectStore.Create(settings with { Endpoint = new Uri("http://127.0.0.1:9/") }, _logs);
        var down = await Assert.ThrowsAsync<StoreException>(() =>
            new ResilientObjectStore(dead, new ResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxRetries = 1 },
                _logs.CreateLogger<ResilientObjectStore>()).HeadAsync(_key, CancellationToken.None).WaitAsync(Timeout));

        var everything = string.Join("\n", _logs.Lines) + denied + put + down + settings + settings.SecretKey;
        Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(_rgw.SecretKey, everything, StringComparison.Ordinal);
        Assert.NotEmpty(_logs.Lines);
    }
}
#pragma warning restore CA1001
