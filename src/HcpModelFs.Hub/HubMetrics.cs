using System.Diagnostics.Metrics;

namespace HcpModelFs.Hub;

/// <summary>The Hub client's instruments: stateless counters, so one static meter serves every client.</summary>
internal static class HubMetrics
{
    private static readonly Meter Meter = new(MetricNames.MeterName);

    public static Counter<long> BytesRead { get; } = Meter.CreateCounter<long>(MetricNames.BytesRead, "By", "File bytes read from the Hub (ingest and reads of models not yet in the store)");

    public static Counter<long> Reads { get; } = Meter.CreateCounter<long>(MetricNames.Reads, "{request}", "Ranged reads of Hub files that succeeded");
}
