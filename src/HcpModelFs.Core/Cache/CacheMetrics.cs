using System.Diagnostics.Metrics;
using HcpModelFs.Core.Diagnostics;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// The block cache's counters as observable instruments: the hit path keeps bumping its Interlocked fields (which the
/// xattrs and tests read too) and the meter reads them only when a listener collects. One meter per cache, disposed
/// with it, so a closed cache stops reporting.
/// </summary>
internal sealed class CacheMetrics : IDisposable
{
    private readonly Meter _meter = new(MetricNames.CacheMeter);

    public CacheMetrics(CacheCounters counters, CacheLedger ledger)
    {
        _meter.CreateObservableCounter(MetricNames.CacheHits, () => Interlocked.Read(ref counters.Hits), "{block}", "Block reads served from the cache");
        _meter.CreateObservableCounter(MetricNames.CacheMisses, () => Interlocked.Read(ref counters.Misses), "{block}", "Block reads that waited for a fetch");
        _meter.CreateObservableCounter(MetricNames.CacheHitBytes, () => Interlocked.Read(ref counters.HitBytes), "By", "Bytes read from cached blocks");
        _meter.CreateObservableCounter(MetricNames.CacheMissBytes, () => Interlocked.Read(ref counters.MissBytes), "By", "Bytes read from blocks that had to be fetched");
        _meter.CreateObservableCounter(MetricNames.CacheFetches, () => Interlocked.Read(ref counters.Fetches), "{block}", "Blocks fetched from a block source (store, Hub ingest)");
        _meter.CreateObservableCounter(MetricNames.CacheEvictions, () => Interlocked.Read(ref counters.Evictions), "{object}", "Objects evicted");
        _meter.CreateObservableCounter(MetricNames.CacheCorruptBlocks, () => Interlocked.Read(ref counters.CorruptBlocks), "{block}", "Cached blocks dropped for a CRC mismatch");
        _meter.CreateObservableGauge(MetricNames.CacheBytes, () => ledger.Totals.Bytes, "By", "Bytes of cached blocks");
        _meter.CreateObservableGauge(MetricNames.CacheObjects, () => ledger.Totals.Objects, "{object}", "Objects in the cache");
        _meter.CreateObservableGauge(MetricNames.CacheMaxBytes, () => ledger.MaxBytes is long.MaxValue ? 0 : ledger.MaxBytes, "By", "The cache's byte limit (0 = none)");
    }

    public void Dispose() => _meter.Dispose();
}
