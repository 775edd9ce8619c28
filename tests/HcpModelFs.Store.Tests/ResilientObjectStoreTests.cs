using System.Diagnostics;
using System.Diagnostics.Metrics;
using HcpModelFs.Store.Resilience;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Store.Tests;

public sealed class ResilientObjectStoreTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly InMemoryObjectStore _memory = new();
    private readonly FaultInjectingObjectStore _faulty;

    public ResilientObjectStoreTests()
    {
        _faulty = new FaultInjectingObjectStore(_memory);
        _memory.Seed("k", Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray());
    }

    private ResilientObjectStore Create(int breakerThroughput = 100) => new(_faulty, new ResilienceOptions
    {
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(5),
        MaxRetries = 3,
        AttemptTimeout = TimeSpan.FromSeconds(5),
        BreakerMinimumThroughput = breakerThroughput,
        BreakerBreakDuration = TimeSpan.FromSeconds(30),
    });

    private static StoreException Error(StoreErrorKind kind, bool ambiguous = false, TimeSpan? retryAfter = null) =>
        new(kind, "injected") { Ambiguous = ambiguous, RetryAfter = retryAfter };

    [Fact]
    public async Task ReadRange_throttled_twice_retries_and_succeeds()
    {
        _faulty.FailNext("read", () => Error(StoreErrorKind.Throttled), times: 2);
        var buffer = new byte[10];
        await Create().ReadRangeAsync("k", 5, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(5, 10).Select(i => (byte)i), buffer);
        Assert.Equal(3, _faulty.Calls("read"));
    }

    [Fact]
    public async Task ReadRange_short_body_then_success_returns_full_bytes()
    {
        _faulty.FailNext("read", () => Error(StoreErrorKind.Truncated), partialBytes: 4);
        var buffer = new byte[100];
        await Create().ReadRangeAsync("k", 0, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i), buffer);
    }

    [Fact]
    public async Task Head_access_denied_is_not_retried()
    {
        _faulty.FailNext("head", () => Error(StoreErrorKind.AccessDenied));
        var e = await Assert.ThrowsAsync<StoreException>(() => Create().HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.AccessDenied, e.Kind);
        Assert.Equal(1, _faulty.Calls("head"));
    }

    [Fact]
    public async Task Retries_exhausted_surface_the_last_typed_error()
    {
        _faulty.FailNext("head", () => Error(StoreErrorKind.Unavailable), times: 10);
        var e = await Assert.ThrowsAsync<StoreException>(() => Create().HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.Unavailable, e.Kind);
        Assert.Equal(4, _faulty.Calls("head"));
    }

    [Fact]
    public async Task CompleteMultipart_ambiguous_error_is_not_retried()
    {
        var id = await _memory.CreateMultipartAsync("m", CancellationToken.None);
        _faulty.FailNext("complete_multipart", () => Error(StoreErrorKind.Unavailable, ambiguous: true));
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            Create().CompleteMultipartAsync("m", id, [], CancellationToken.None).WaitAsync(Timeout));
        Assert.True(e.Ambiguous);
        Assert.Equal(1, _faulty.Calls("complete_multipart"));
    }

    [Fact]
    public async Task CreateExclusive_throttled_is_retried_but_reset_after_send_is_not()
    {
        _faulty.FailNext("create_exclusive", () => Error(StoreErrorKind.Throttled));
        Assert.True(await Create().CreateExclusiveAsync("lease", "x"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(2, _faulty.Calls("create_exclusive"));

        _faulty.FailNext("create_exclusive", () => Error(StoreErrorKind.ConnectionReset, ambiguous: true));
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            Create().CreateExclusiveAsync("lease2", "x"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.ConnectionReset, e.Kind);
        Assert.Equal(3, _faulty.Calls("create_exclusive"));
    }

    [Fact]
    public async Task Retry_After_from_the_server_is_waited_for()
    {
        _faulty.FailNext("head", () => Error(StoreErrorKind.Throttled, retryAfter: TimeSpan.FromMilliseconds(300)));
        var watch = Stopwatch.StartNew();
        Assert.NotNull(await Create().HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(280), $"waited only {watch.Elapsed}");
    }

    [Fact]
    public async Task Repeated_unavailable_opens_circuit_and_calls_fail_fast_without_reaching_the_store()
    {
        var store = Create(breakerThroughput: 4);
        _faulty.FailNext("head", () => Error(StoreErrorKind.Unavailable), times: 100);
        await Assert.ThrowsAsync<StoreException>(() => store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        var calls = _faulty.Calls("head");
        var e = await Assert.ThrowsAsync<StoreException>(() => store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.CircuitOpen, e.Kind);
        Assert.Equal(calls, _faulty.Calls("head"));
    }

    [Fact]
    public async Task Caller_cancellation_is_not_retried_or_mapped()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Create().ReadRangeAsync("k", 0, new byte[10], null, cts.Token).AsTask().WaitAsync(Timeout));
        Assert.True(_faulty.Calls("read") <= 1);
    }

    [Fact]
    public async Task Metrics_count_requests_retries_errors_and_bytes()
    {
        var measurements = new List<(string Name, long Value, string? Kind)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MetricNames.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? kind = null;
            var mine = false;
            foreach (var t in tags)
            {
                kind = t.Key == MetricNames.KindTag ? t.Value as string : kind;
                mine |= t.Key == MetricNames.StoreTag && t.Value as string == _faulty.Name;
            }

            if (mine)
            {
                lock (measurements)
                {
                    measurements.Add((instrument.Name, value, kind));
                }
            }
        });
        listener.Start();
        _faulty.FailNext("read", () => Error(StoreErrorKind.Throttled));
        await Create().ReadRangeAsync("k", 0, new byte[64], null, CancellationToken.None).AsTask().WaitAsync(Timeout);
        listener.Dispose();
        lock (measurements)
        {
            Assert.Equal(2, measurements.Where(m => m.Name == MetricNames.Requests).Sum(m => m.Value));
            Assert.Equal(1, measurements.Single(m => m.Name == MetricNames.Retries).Value);
            Assert.Equal("Throttled", measurements.Single(m => m.Name == MetricNames.Errors).Kind);
            Assert.Equal(64, measurements.Single(m => m.Name == MetricNames.BytesRead).Value);
        }
    }

    [Fact]
    public async Task List_after_a_transient_failure_is_retried_and_complete()
    {
        for (var i = 0; i < 30; i++)
        {
            _memory.Seed($"l/{i:D2}", [1]);
        }

        _faulty.FailNext("list", () => Error(StoreErrorKind.Unavailable));
        var keys = new List<string>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var e in Create().ListAsync("l/", null, cts.Token))
        {
            keys.Add(e.Key);
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"l/{i:D2}"), keys);
        Assert.Equal(2, _faulty.Calls("list"));
    }
}
