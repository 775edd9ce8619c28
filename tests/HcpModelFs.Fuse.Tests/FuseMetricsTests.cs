using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Session;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Fuse.Tests;

/// <summary>The dispatcher's instruments: requests and errors by opcode (and errno), latency of answered requests.</summary>
public sealed class FuseMetricsTests : IDisposable
{
    private readonly RecordingFileSystem _fs = new();
    private readonly CapturingSink _sink = new();
    private readonly FuseDispatcher _dispatcher;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, double Value, string Tags)> _measurements = new();

    public FuseMetricsTests()
    {
        _dispatcher = new FuseDispatcher(_fs, new FuseSessionOptions(), NullLogger.Instance, new BufferPool());
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == _dispatcher.Metrics.Meter)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _dispatcher.Metrics.Dispose();
    }

    [Fact]
    public async Task Requests_and_errors_are_counted_by_opcode_and_errno_and_answered_requests_are_timed()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 6, 1, "nope\0"u8), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 7, 1, "nope\0"u8), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 8, 5, RequestBuilder.ReadIn(77, 0, 4096)), _sink);

        var durations = _measurements.Where(m => m.Name == MetricNames.Duration).ToList();
        Assert.Equal(2, durations.Count(m => m.Tags == "opcode=lookup"));
        Assert.Equal(1, durations.Count(m => m.Tags == "opcode=read"));
        Assert.All(durations, m => Assert.InRange(m.Value, 0, 10));

        _measurements.Clear();
        _listener.RecordObservableInstruments();
        var observed = _measurements.ToDictionary(m => m.Name + " " + m.Tags, m => m.Value);
        Assert.Equal(1, observed[MetricNames.Requests + " opcode=init"]);
        Assert.Equal(2, observed[MetricNames.Requests + " opcode=lookup"]);
        Assert.Equal(1, observed[MetricNames.Requests + " opcode=read"]);
        Assert.Equal(2, observed[MetricNames.Errors + " opcode=lookup,errno=ENOENT"]);
        Assert.DoesNotContain(observed.Keys, k => k.StartsWith(MetricNames.Errors + " opcode=read", StringComparison.Ordinal));
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new List<string>();
        foreach (var tag in tags)
        {
            text.Add($"{tag.Key}={tag.Value}");
        }

        _measurements.Enqueue((instrument.Name, value, string.Join(',', text)));
    }
}
