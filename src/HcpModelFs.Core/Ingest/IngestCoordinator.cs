using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Transfer;
using MetricNames = HcpModelFs.Core.Diagnostics.MetricNames;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// One ingest job per revision per process, shared by every reader, lookup and prefetch of it; part uploads of all
/// jobs share one in-flight limit. When a job commits, <see cref="Committed"/> lets the catalog forget its Hub answer so
/// the next lookup finds the model in the store.
/// </summary>
public sealed class IngestCoordinator : IDisposable
{
    private readonly IObjectStore _store;
    private readonly IModelHub _hub;
    private readonly IBlockCache _cache;
    private readonly ModelPublisher _publisher;
    private readonly LeaseManager _leases;
    private readonly IngestOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly PartPipeline _parts;
    private readonly ConcurrentDictionary<string, IngestJob> _jobs = new(StringComparer.Ordinal);
    private readonly Meter _meter = new(MetricNames.IngestMeter);

    public IngestCoordinator(
        IObjectStore store,
        IModelHub hub,
        IBlockCache cache,
        StoreLayout layout,
        IngestOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _store = store;
        _hub = hub;
        _cache = cache;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time ?? TimeProvider.System;
        _publisher = new ModelPublisher(store, layout, loggerFactory.CreateLogger<ModelPublisher>(), _time);
        _leases = new LeaseManager(store, layout, options, _time);
        // The usual part size is pooled; the bigger parts of files past 10,000 blocks are allocated per part.
        _parts = new PartPipeline(options.PartsInFlight, (int)MultipartWriter.PartSizeFor(0, cache.BlockSize));
        // Progress per model as gauges over the jobs map, read at scrape time; a committed or failed job drops out.
        _meter.CreateObservableGauge(MetricNames.IngestProgressBytes, () => Progress(static j => j.BytesStored), "By", "Bytes of a running ingest stored so far, by model");
        _meter.CreateObservableGauge(MetricNames.IngestTotalBytes, () => Progress(static j => j.TotalBytes), "By", "Bytes a running ingest stores in all, by model");
        _meter.CreateObservableGauge(MetricNames.IngestPhase, Phases, "{job}", "Running ingests by model and phase (starting, following, uploading, committing, retrying): 1 per job");
        _meter.CreateObservableGauge(MetricNames.IngestEtaSeconds, Etas, "s", "Seconds an uploading ingest still needs at its rate so far, by model");
    }

    /// <summary>Raised (on a pool thread) when a job's revision is committed in the store.</summary>
    public event Action<IngestJob>? Committed;

    /// <summary>The job of <paramref name="revision"/> (a revision from the Hub), created but not started.</summary>
    public IngestJob GetJob(ModelRevision revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var key = revision.Org + "/" + revision.Model + "/" + revision.Commit;
        while (true)
        {
            var job = _jobs.GetOrAdd(key, _ => Create(revision));
            // A failed job answers EIO for a while (no retry storm), then a new lookup may try again.
            if (job.FailedAt is { } failed && failed + _options.FailedRetention < _time.GetUtcNow())
            {
                _jobs.TryRemove(new KeyValuePair<string, IngestJob>(key, job));
                continue;
            }

            return job;
        }
    }

    /// <summary>The job of <paramref name="revision"/>, started.</summary>
    public IngestJob Start(ModelRevision revision)
    {
        var job = GetJob(revision);
        job.Start();
        return job;
    }

    public void Dispose()
    {
        _meter.Dispose();
        foreach (var job in _jobs.Values)
        {
            job.Dispose();
        }

        _parts.Dispose();
    }

    private List<Measurement<long>> Progress(Func<IngestJob, long> value)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var job in _jobs.Values)
        {
            if (job.IsRunning)
            {
                measurements.Add(new Measurement<long>(value(job),
                    new KeyValuePair<string, object?>(MetricNames.ModelTag, job.Name),
                    new KeyValuePair<string, object?>(MetricNames.RevisionTag, job.Commit)));
            }
        }

        return measurements;
    }

    private List<Measurement<long>> Phases()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var job in _jobs.Values)
        {
            if (job.IsRunning)
            {
                measurements.Add(new Measurement<long>(1,
                    new KeyValuePair<string, object?>(MetricNames.ModelTag, job.Name),
                    new KeyValuePair<string, object?>(MetricNames.PhaseTag, PhaseName(job.Phase))));
            }
        }

        return measurements;
    }

    private List<Measurement<double>> Etas()
    {
        var measurements = new List<Measurement<double>>();
        foreach (var job in _jobs.Values)
        {
            if (job.IsRunning && job.EtaSeconds is { } eta)
            {
                measurements.Add(new Measurement<double>(eta,
                    new KeyValuePair<string, object?>(MetricNames.ModelTag, job.Name),
                    new KeyValuePair<string, object?>(MetricNames.RevisionTag, job.Commit)));
            }
        }

        return measurements;
    }

    private static string PhaseName(IngestPhase phase) => phase switch
    {
        IngestPhase.Starting => "starting",
        IngestPhase.Following => "following",
        IngestPhase.Uploading => "uploading",
        IngestPhase.Committing => "committing",
        _ => "retrying",
    };

    private IngestJob Create(ModelRevision revision) => new(
        revision,
        _store,
        _hub,
        _cache,
        _publisher,
        _leases,
        _options,
        _parts,
        _loggerFactory.CreateLogger<IngestJob>(),
        _time,
        job => Committed?.Invoke(job));
}
