using System.Diagnostics;
using System.Diagnostics.Metrics;
using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Session;

/// <summary>
/// The session's instruments. READ runs 10^4-10^5 times a second, so the per-request cost is one Interlocked
/// increment (the dispatcher's per-opcode count, read here as an observable counter), one histogram record with a tag
/// built once per opcode, and for error replies one more increment in an opcode x errno table. Nothing allocates per
/// request; the tag lists of the observable counters are built when a listener collects.
/// </summary>
internal sealed class FuseMetrics : IDisposable
{
    /// <summary>errno values are small (Linux tops out near 133); anything above shares the last slot.</summary>
    private const int ErrnoSlots = 136;

    private static readonly string[] OpcodeNames = BuildOpcodeNames();
    private static readonly KeyValuePair<string, object?>[] OpcodeTags =
        Array.ConvertAll(OpcodeNames, n => new KeyValuePair<string, object?>(MetricNames.OpcodeTag, n));

    private readonly Meter _meter = new(MetricNames.MeterName);
    private readonly long[] _requests;
    private readonly long[] _errors = new long[FuseDispatcher.OpcodeSlots * ErrnoSlots];
    private readonly Histogram<double> _duration;

    public FuseMetrics(long[] requestCounts)
    {
        _requests = requestCounts;
        _meter.CreateObservableCounter(MetricNames.Requests, ObserveRequests, "{request}", "FUSE requests received, by opcode");
        _meter.CreateObservableCounter(MetricNames.Errors, ObserveErrors, "{reply}", "FUSE error replies, by opcode and errno");
        _duration = _meter.CreateHistogram<double>(MetricNames.Duration, "s", "Time from a FUSE request to its reply, by opcode (requests answered by the filesystem)");
    }

    public void Error(uint opcode, Errno errno)
    {
        if (opcode < FuseDispatcher.OpcodeSlots)
        {
            var e = Math.Clamp((int)errno, 0, ErrnoSlots - 1);
            Interlocked.Increment(ref _errors[((int)opcode * ErrnoSlots) + e]);
        }
    }

    public void Completed(uint opcode, long startedTimestamp)
    {
        if (opcode < FuseDispatcher.OpcodeSlots && _duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, OpcodeTags[opcode]);
        }
    }

    /// <summary>The meter of this session (tests listen to it alone).</summary>
    internal Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();

    private static string[] BuildOpcodeNames()
    {
        var names = new string[FuseDispatcher.OpcodeSlots];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = Enum.IsDefined((FuseOpcode)i)
                ? ((FuseOpcode)i).ToString().ToLowerInvariant()
                : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }

    private static string ErrnoName(int errno) =>
        Enum.IsDefined((Errno)errno) ? ((Errno)errno).ToString() : "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private List<Measurement<long>> ObserveRequests()
    {
        var measurements = new List<Measurement<long>>();
        for (var i = 0; i < _requests.Length; i++)
        {
            var n = Interlocked.Read(ref _requests[i]);
            if (n != 0)
            {
                measurements.Add(new Measurement<long>(n, OpcodeTags[i]));
            }
        }

        return measurements;
    }

    private List<Measurement<long>> ObserveErrors()
    {
        var measurements = new List<Measurement<long>>();
        for (var i = 0; i < _errors.Length; i++)
        {
            var n = Interlocked.Read(ref _errors[i]);
            if (n != 0)
            {
                measurements.Add(new Measurement<long>(n, OpcodeTags[i / ErrnoSlots],
                    new KeyValuePair<string, object?>(MetricNames.ErrnoTag, ErrnoName(i % ErrnoSlots))));
            }
        }

        return measurements;
    }
}
