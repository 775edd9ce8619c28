using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HcpModelFs.Store;

/// <summary>The store layer's instruments; one instance per meter factory (or the shared static meter).</summary>
internal sealed class StoreMetrics
{
    private readonly Counter<long> _requests;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _bytesWritten;
    private readonly Counter<long> _circuitOpened;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _readsInFlight;
    private readonly UpDownCounter<int> _circuitState;
    private int _state;

    public StoreMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MetricNames.MeterName) ?? SharedMeter;
        _requests = meter.CreateCounter<long>(MetricNames.Requests, "{request}", "Store request attempts");
        _retries = meter.CreateCounter<long>(MetricNames.Retries, "{retry}", "Store request retries");
        _errors = meter.CreateCounter<long>(MetricNames.Errors, "{error}", "Failed store attempts by kind");
        _bytesRead = meter.CreateCounter<long>(MetricNames.BytesRead, "By", "Bytes read from the store");
        _bytesWritten = meter.CreateCounter<long>(MetricNames.BytesWritten, "By", "Bytes written to the store");
        _circuitOpened = meter.CreateCounter<long>(MetricNames.CircuitOpened, "{event}", "Circuit breaker openings");
        _duration = meter.CreateHistogram<double>(MetricNames.Duration, "s", "Store attempt latency");
        _readsInFlight = meter.CreateUpDownCounter<long>(MetricNames.ReadsInFlight, "{request}", "Ranged GETs in flight (retries included)");
        // Up-down, not observable: a gauge set on each transition holds no callback (and so no store) in the meter.
        _circuitState = meter.CreateUpDownCounter<int>(MetricNames.CircuitState, "1", "Circuit breaker: 0 closed, 1 half-open, 2 open");
    }

    private static Meter SharedMeter { get; } = new(MetricNames.MeterName);

    public void Attempt(string store, string operation, double seconds, StoreErrorKind? error)
    {
        var tags = new TagList
        {
            { MetricNames.StoreTag, store },
            { MetricNames.OperationTag, operation },
        };
        _requests.Add(1, tags);
        _duration.Record(seconds, tags);
        if (error is { } kind)
        {
            tags.Add(MetricNames.KindTag, kind.ToString());
            _errors.Add(1, tags);
        }
    }

    public void Retry(string store, string operation, StoreErrorKind kind) =>
        _retries.Add(1, new TagList
        {
            { MetricNames.StoreTag, store },
            { MetricNames.OperationTag, operation },
            { MetricNames.KindTag, kind.ToString() },
        });

    public void Read(string store, long bytes) =>
        _bytesRead.Add(bytes, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));

    public void Written(string store, long bytes) =>
        _bytesWritten.Add(bytes, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));

    /// <summary>Publishes the gauges at 0 so a scrape shows them before the first read or breaker transition.</summary>
    public void Publish(string store)
    {
        _readsInFlight.Add(0, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));
        _circuitState.Add(0, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));
    }

    public void ReadStarted(string store) =>
        _readsInFlight.Add(1, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));

    public void ReadEnded(string store) =>
        _readsInFlight.Add(-1, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));

    /// <summary>The breaker moved to <paramref name="state"/> (0 closed, 1 half-open, 2 open).</summary>
    public void CircuitState(string store, int state)
    {
        var before = Interlocked.Exchange(ref _state, state);
        if (before != state)
        {
            _circuitState.Add(state - before, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));
        }
    }

    public void CircuitOpened(string store) =>
        _circuitOpened.Add(1, new KeyValuePair<string, object?>(MetricNames.StoreTag, store));
}
