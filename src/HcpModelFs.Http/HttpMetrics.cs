using System.Diagnostics.Metrics;

namespace HcpModelFs.Http;

/// <summary>Instruments of the HTTP endpoint (Meter <see cref="MetricNames.MeterName"/>): requests by route and status, body bytes.</summary>
public static class HttpMetrics
{
    private static readonly Meter Meter = new(MetricNames.MeterName);

    internal static Counter<long> Requests { get; } = Meter.CreateCounter<long>(MetricNames.Requests, "{request}", "Requests answered, by route and status");

    internal static Counter<long> ResponseBytes { get; } = Meter.CreateCounter<long>(MetricNames.ResponseBytes, "By", "File bytes sent in resolve bodies, by route");

    internal static Counter<long> ResolveCache { get; } = Meter.CreateCounter<long>(MetricNames.ResolveCache, "{response}", "resolve bodies by whether every block they need was already in the cache (result=hit|miss)");

    internal static Histogram<double> Duration { get; } = Meter.CreateHistogram<double>(MetricNames.Duration, "s", "Time to answer a request, by route");
}
