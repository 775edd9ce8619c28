using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace HcpModelFs.Hosting;

/// <summary>
/// Exports our System.Diagnostics.Metrics instruments into a prometheus-net registry. Not prometheus-net's own
/// MeterAdapter, for three reasons found in its 8.2.1 source: it exports every .NET counter as a Prometheus gauge
/// (no <c>_total</c>, so <c>rate()</c> is wrong), prefixes each name with the meter's name
/// (<c>hcpmodelfs_cache_hcpmodelfs_cache_hits</c>), and allocates about ten objects per measurement (sorting the
/// tags, label arrays, a closure), which on the FUSE latency histogram would be per READ. Here an instrument becomes
/// one metric named after the instrument (dots to underscores, the unit's base-unit suffix, <c>_total</c> for
/// counters), label names come from its first measurement, and a measurement with at most one tag reuses a cached
/// child: the READ path's histogram record allocates nothing. Observable instruments are read just before a scrape.
/// </summary>
internal sealed class PrometheusMeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();

    public PrometheusMeterBridge(CollectorRegistry registry, Func<Instrument, bool> include, Func<Instrument, double[]> buckets)
    {
        var factory = (MetricFactory)Metrics.WithCustomRegistry(registry);
        // The default exemplar (the current trace context) costs an allocation per observation; we trace nothing.
        factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = static (_, _) => Exemplar.None };
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (include(instrument) && Export.For(instrument, factory, buckets) is { } export)
            {
                listener.EnableMeasurementEvents(instrument, export);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The Prometheus name of an instrument: hcpmodelfs.fuse.duration (s) -> hcpmodelfs_fuse_duration_seconds.</summary>
    internal static string PrometheusName(Instrument instrument, bool counter)
    {
        var name = instrument.Name.Replace('.', '_').Replace('-', '_');
        name += instrument.Unit switch
        {
            "s" when !name.EndsWith("_seconds", StringComparison.Ordinal) => "_seconds",
            "By" when !name.Contains("bytes", StringComparison.Ordinal) => "_bytes",
            _ => string.Empty,
        };
        return counter ? name + "_total" : name;
    }

    /// <summary>One instrument's metric and its children by label values.</summary>
    private abstract class Export
    {
        private readonly ConcurrentDictionary<string, object> _children = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();
        private string[]? _labelNames;
        private object? _unlabelled;

        public static Export? For(Instrument instrument, MetricFactory factory, Func<Instrument, double[]> buckets)
        {
            var type = instrument.GetType().GetGenericTypeDefinition();
            var help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
            {
                var name = PrometheusName(instrument, counter: true);
                return new Export<Counter.Child>(labels => factory.CreateCounter(name, help, labels),
                    type == typeof(Counter<>) ? static (c, v) => c.Inc(v) : static (c, v) => c.IncTo(v));
            }

            if (type == typeof(UpDownCounter<>) || type == typeof(ObservableGauge<>) || type == typeof(ObservableUpDownCounter<>))
            {
                var name = PrometheusName(instrument, counter: false);
                return new Export<Gauge.Child>(labels => factory.CreateGauge(name, help, labels),
                    type == typeof(UpDownCounter<>) ? static (g, v) => g.Inc(v) : static (g, v) => g.Set(v));
            }

            if (type == typeof(Histogram<>))
            {
                var name = PrometheusName(instrument, counter: false);
                var configuration = new HistogramConfiguration { Buckets = buckets(instrument) };
                return new Export<Histogram.Child>(labels => factory.CreateHistogram(name, help, labels, configuration), static (h, v) => h.Observe(v));
            }

            return null;
        }

        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        /// <summary>The child for these tags: cached by value when there is at most one tag (the hot paths).</summary>
        protected object Child(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var names = _labelNames ?? Initialise(tags);
            if (names.Length == 0)
            {
                return _unlabelled ??= CreateChild([]);
            }

            if (names.Length == 1 && tags.Length == 1)
            {
                var value = tags[0].Value as string ?? tags[0].Value?.ToString() ?? string.Empty;
                return _children.TryGetValue(value, out var child) ? child : _children.GetOrAdd(value, v => CreateChild([v]));
            }

            return ChildOfMany(names, tags);
        }

        // Apart from Child: a lambda capturing a local makes the compiler allocate its closure on entry to the
        // enclosing method, on every call, even when this branch is not taken.
        private object ChildOfMany(string[] names, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var values = new string[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                values[i] = string.Empty;
                foreach (var tag in tags)
                {
                    if (string.Equals(Label(tag.Key), names[i], StringComparison.Ordinal))
                    {
                        values[i] = tag.Value?.ToString() ?? string.Empty;
                    }
                }
            }

            return _children.GetOrAdd(string.Join('\u001f', values), _ => CreateChild(values));
        }

        protected abstract void CreateMetric(string[] labelNames);

        protected abstract object CreateChild(string[] labelValues);

        private static string Label(string tag) => tag.Replace('.', '_').Replace('-', '_');

        private string[] Initialise(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var names = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                names[i] = Label(tags[i].Key);
            }

            lock (_lock)
            {
                if (_labelNames is null)
                {
                    CreateMetric(names);
                    _labelNames = names;
                }

                return _labelNames;
            }
        }
    }

    private sealed class Export<TChild>(Func<string[], Collector<TChild>> create, Action<TChild, double> apply) : Export
        where TChild : ChildBase
    {
        private Collector<TChild>? _metric;

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => apply((TChild)Child(tags), value);

        protected override void CreateMetric(string[] labelNames) => _metric = create(labelNames);

        protected override object CreateChild(string[] labelValues) => _metric!.WithLabels(labelValues);
    }
}
