namespace HcpModelFs.Hub;

/// <summary>Names of the Hub client's instruments (Meter <see cref="MeterName"/>).</summary>
public static class MetricNames
{
    public const string MeterName = "HcpModelFs.Hub";
    public const string BytesRead = "hcpmodelfs.hub.bytes_read";
    public const string Reads = "hcpmodelfs.hub.reads";
}
