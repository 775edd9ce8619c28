namespace HcpModelFs.Store;

/// <summary>Names of the store layer's instruments (Meter <see cref="MeterName"/>).</summary>
public static class MetricNames
{
    public const string MeterName = "HcpModelFs.Store";
    public const string Requests = "hcpmodelfs.store.requests";
    public const string Retries = "hcpmodelfs.store.retries";
    public const string Errors = "hcpmodelfs.store.errors";
    public const string BytesRead = "hcpmodelfs.store.bytes_read";
    public const string BytesWritten = "hcpmodelfs.store.bytes_written";
    public const string Duration = "hcpmodelfs.store.duration";
    public const string CircuitOpened = "hcpmodelfs.store.circuit_opened";
    public const string CircuitState = "hcpmodelfs.store.circuit_state";
    public const string ReadsInFlight = "hcpmodelfs.store.reads_in_flight";

    /// <summary>Tag names.</summary>
    public const string OperationTag = "operation";
    public const string KindTag = "kind";
    public const string StoreTag = "store";
}
