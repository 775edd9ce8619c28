using System.Diagnostics.Metrics;
using HcpModelFs.Core.Diagnostics;

namespace HcpModelFs.Core.Ingest;

/// <summary>Instruments of the ingest pipeline (Meter <see cref="MeterName"/>); throughput is the rate of <see cref="BytesStored"/>.</summary>
public static class IngestMetrics
{
    public const string MeterName = MetricNames.IngestMeter;
    public const string BytesStoredName = MetricNames.IngestBytesStored;
    public const string FilesStoredName = MetricNames.IngestFilesStored;
    public const string CommitsName = MetricNames.IngestCommits;
    public const string RetriesName = MetricNames.IngestRetries;
    public const string FailuresName = MetricNames.IngestFailures;
    public const string ActiveName = MetricNames.IngestActive;

    private static readonly Meter Meter = new(MeterName);

    internal static Counter<long> BytesStored { get; } = Meter.CreateCounter<long>(BytesStoredName, "By", "File bytes written into the store by ingests");

    internal static Counter<long> FilesStored { get; } = Meter.CreateCounter<long>(FilesStoredName, "{file}", "Files written into the store by ingests");

    internal static Counter<long> Commits { get; } = Meter.CreateCounter<long>(CommitsName, "{revision}", "Revisions committed (manifest written) by this node");

    internal static Counter<long> Retries { get; } = Meter.CreateCounter<long>(RetriesName, "{attempt}", "Ingest attempts retried after a store or Hub failure");

    internal static Counter<long> Failures { get; } = Meter.CreateCounter<long>(FailuresName, "{revision}", "Ingests abandoned (bytes not matching the Hub's metadata)");

    internal static UpDownCounter<long> Active { get; } = Meter.CreateUpDownCounter<long>(ActiveName, "{job}", "Ingests running on this node (leading or following)");
}
