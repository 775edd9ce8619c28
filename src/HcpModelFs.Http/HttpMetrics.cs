using System.Diagnostics.Metrics;

namespace HcpModelFs.Http;

/// <summary>Instruments of the HTTP endpoint (Meter <see cref="MeterName"/>): requests by route and status, body bytes.</summary>
public static class HttpMetrics
{
    public const string MeterName = MetricNames.MeterName;
    public const string RequestsName = MetricNames.Requests;
    public const string ResponseBytesName = MetricNames.ResponseBytes;
    public const string DurationName = MetricNames.Duration;
    public const string ResolveCacheName = MetricNames.ResolveCache;

    private static readonly Meter Meter = new(MeterName);

    internal static Counter<long> Requests { get; } = Meter.CreateCounter<long>(RequestsName, "{request}", "Requests answered, by route and status");

    internal static Counter<long> ResponseBytes { get; } = Meter.CreateCounter<long>(ResponseBytesName, "By", "File bytes sent in resolve bodies, by route");

    internal static Counter<long> ResolveCache { get; } = Meter.CreateCounter<long>(ResolveCacheName, "{response}", "resolve bodies by whether every block they need was already in the cache (result=hit|miss)");

    internal static Histogram<double> Duration { get; } = Meter.CreateHistogram<double>(DurationName, "s", "Time to answer a request, by route");
}
