using System.Diagnostics.Metrics;
using System.Text;
using HcpModelFs.Hosting;
using Prometheus;

namespace HcpModelFs.Tests;

public sealed class PrometheusMeterBridgeTests : IDisposable
{
    private readonly string _meterName = "HcpModelFs.Test." + Guid.NewGuid().ToString("N");
    private readonly Meter _meter;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly PrometheusMeterBridge _bridge;

    public PrometheusMeterBridgeTests()
    {
        _bridge = new PrometheusMeterBridge(_registry, i => i.Meter.Name == _meterName, _ => [0.001, 0.01, 0.1]);
        _meter = new Meter(_meterName);
    }

    public void Dispose()
    {
        _meter.Dispose();
        _bridge.Dispose();
    }

    [Fact]
    public async Task Counters_export_as_counters_with_total_and_gauges_and_histograms_keep_their_labels()
    {
        var requests = _meter.CreateCounter<long>("hcpmodelfs.test.requests", "{request}");
        var duration = _meter.CreateHistogram<double>("hcpmodelfs.test.duration", "s");
        var inFlight = _meter.CreateUpDownCounter<long>("hcpmodelfs.test.in_flight");
        var hits = 41L;
        _meter.CreateObservableCounter("hcpmodelfs.test.hits", () => hits, "{block}");
        _meter.CreateObservableGauge("hcpmodelfs.test.cached", () => 1234L, "By");

        requests.Add(2, new KeyValuePair<string, object?>("opcode", "read"));
        requests.Add(1, new KeyValuePair<string, object?>("opcode", "read"));
        requests.Add(5, new KeyValuePair<string, object?>("opcode", "lookup"));
        duration.Record(0.005, new KeyValuePair<string, object?>("opcode", "read"));
        inFlight.Add(3, new KeyValuePair<string, object?>("store", "s3"), new KeyValuePair<string, object?>("operation", "read"));
        inFlight.Add(-1, new KeyValuePair<string, object?>("operation", "read"), new KeyValuePair<string, object?>("store", "s3"));
        hits = 42;

        var text = await ExportAsync();
        Assert.Contains("# TYPE hcpmodelfs_test_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("hcpmodelfs_test_requests_total{opcode=\"read\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("hcpmodelfs_test_requests_total{opcode=\"lookup\"} 5", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE hcpmodelfs_test_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("hcpmodelfs_test_duration_seconds_bucket{opcode=\"read\",le=\"0.01\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("hcpmodelfs_test_in_flight{store=\"s3\",operation=\"read\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("hcpmodelfs_test_hits_total 42", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE hcpmodelfs_test_cached_bytes gauge", text, StringComparison.Ordinal);
        Assert.Contains("hcpmodelfs_test_cached_bytes 1234", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Recording_a_histogram_with_one_cached_tag_allocates_nothing()
    {
        var duration = _meter.CreateHistogram<double>("hcpmodelfs.test.hot", "s");
        var tag = new KeyValuePair<string, object?>("opcode", "read");
        duration.Record(0.001, tag);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            duration.Record(0.0001 * i, tag);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated by 10,000 records");
    }

    private async Task<string> ExportAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
