using System.Diagnostics.Metrics;

namespace HcpModelFs.Core.Ingest;

/// <summary>Instruments of the ingest pipeline (Meter <see cref="MeterName"/>); throughput is the rate of <see cref="BytesStored"/>.</summary>
public static class IngestMetrics
{
    public const string MeterName = "HcpModelFs.Ingest";
    public const string BytesStoredName = "hcpmodelfs.ingest.bytes_stored";
    public const string FilesStoredName = "hcpmodelfs.ingest.files_stored";
    public const string CommitsName = "hcpmodelfs.ingest.commits";
    public const string RetriesName = "hcpmodelfs.ingest.retries";
    public const string FailuresName = "hcpmodelfs.ingest.failures";
    public const string ActiveName = "hcpmodelfs.ingest.active";

    private static readonly Meter Meter = new(MeterName);

    internal static Counter<long> BytesStored { get; } = Meter.CreateCounter<long>(BytesStoredName, "By", "File bytes written into the store by ingests");

    internal static Counter<long> FilesStored { get; } = Meter.CreateCounter<long>(FilesStoredName, "{file}", "Files written into the store by ingests");

    internal static Counter<long> Commits { get; } = Meter.CreateCounter<long>(CommitsName, "{revision}", "Revisions committed (manifest written) by this node");

    internal static Counter<long> Retries { get; } = Meter.CreateCounter<long>(RetriesName, "{attempt}", "Ingest attempts retried after a store or Hub failure");

    internal static Counter<long> Failures { get; } = Meter.CreateCounter<long>(FailuresName, "{revision}", "Ingests abandoned (bytes not matching the Hub's metadata)");

    internal static UpDownCounter<long> Active { get; } = Meter.CreateUpDownCounter<long>(ActiveName, "{job}", "Ingests running on this node (leading or following)");
}
