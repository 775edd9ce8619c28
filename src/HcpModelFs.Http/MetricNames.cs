namespace HcpModelFs.Http;

/// <summary>Names of the HTTP endpoint's instruments (Meter <see cref="MeterName"/>).</summary>
public static class MetricNames
{
    public const string MeterName = "HcpModelFs.Http";
    public const string Requests = "hcpmodelfs.http.requests";
    public const string ResponseBytes = "hcpmodelfs.http.response_bytes";
    public const string Duration = "hcpmodelfs.http.request.duration";
    public const string ResolveCache = "hcpmodelfs.http.resolve.cache";
}
