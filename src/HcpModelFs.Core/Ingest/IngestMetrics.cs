using System.Diagnostics.Metrics;
using HcpModelFs.Core.Diagnostics;

namespace HcpModelFs.Core.Ingest;

/// <summary>Instruments of the ingest pipeline (Meter <see cref="MetricNames.IngestMeter"/>); throughput is the rate of <see cref="BytesStored"/>.</summary>
public static class IngestMetrics
{
    private static readonly Meter Meter = new(MetricNames.IngestMeter);

    internal static Counter<long> BytesStored { get; } = Meter.CreateCounter<long>(MetricNames.IngestBytesStored, "By", "File bytes written into the store by ingests");

    internal static Counter<long> FilesStored { get; } = Meter.CreateCounter<long>(MetricNames.IngestFilesStored, "{file}", "Files written into the store by ingests");

    internal static Counter<long> Commits { get; } = Meter.CreateCounter<long>(MetricNames.IngestCommits, "{revision}", "Revisions committed (manifest written) by this node");

    internal static Counter<long> Retries { get; } = Meter.CreateCounter<long>(MetricNames.IngestRetries, "{attempt}", "Ingest attempts retried after a store or Hub failure");

    internal static Counter<long> Failures { get; } = Meter.CreateCounter<long>(MetricNames.IngestFailures, "{revision}", "Ingests abandoned (bytes not matching the Hub's metadata)");

    internal static UpDownCounter<long> Active { get; } = Meter.CreateUpDownCounter<long>(MetricNames.IngestActive, "{job}", "Ingests running on this node (leading or following)");
}
