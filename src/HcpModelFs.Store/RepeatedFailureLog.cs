using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Store;

/// <summary>
/// Summarises an expected failure that repeats (a store outage seen by every READ, a Hub that does not answer):
/// the caller logs its own line for the first failure of a run, then this writes at most one summary line per
/// interval with the count, and one line when the same area succeeds again. Keyed by area (e.g. "read") and kind
/// (e.g. "Unavailable"), so two different problems are reported separately.
/// <para>It lives in Store, the lowest of our libraries that meets such failures, so Core can use it as well.
/// <see cref="Succeeded"/> is called on every success of a hot path: while nothing is failing it is one volatile read.</para>
/// </summary>
public sealed class RepeatedFailureLog
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ConcurrentDictionary<(string Area, string Kind), Run> _runs = new();
    private int _failing;

    public RepeatedFailureLog(ILogger logger, TimeProvider? time = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _interval = interval ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>
    /// Records one failure. True when it starts a run: the caller logs its own one line now. Otherwise the failure
    /// is counted, and once an interval has passed since the last line a summary line is written here.
    /// </summary>
    public bool Failed(string area, string kind, string reason)
    {
        ArgumentNullException.ThrowIfNull(area);
        ArgumentNullException.ThrowIfNull(kind);
        var now = _time.GetTimestamp();
        var run = _runs.GetOrAdd((area, kind), static _ => new Run());
        long count;
        long suppressed;
        TimeSpan since;
        lock (run)
        {
            run.Total++;
            if (run.Total == 1)
            {
                run.Started = now;
                run.LastLine = now;
                Interlocked.Increment(ref _failing);
                return true;
            }

            run.Suppressed++;
            if (_time.GetElapsedTime(run.LastLine, now) < _interval)
            {
                return false;
            }

            count = run.Total;
            suppressed = run.Suppressed;
            since = _time.GetElapsedTime(run.LastLine, now);
            run.Suppressed = 0;
            run.LastLine = now;
        }

        LogMessages.StillFailing(_logger, area, kind, suppressed, since.TotalSeconds, count, reason);
        return false;
    }

    /// <summary>Records a success of <paramref name="area"/>: every run of it that was failing ends with one line.</summary>
    public void Succeeded(string area)
    {
        if (Volatile.Read(ref _failing) == 0)
        {
            return;
        }

        foreach (var (key, run) in _runs)
        {
            if (!string.Equals(key.Area, area, StringComparison.Ordinal) || !_runs.TryRemove(new(key, run)))
            {
                continue;
            }

            Interlocked.Decrement(ref _failing);
            long total;
            long started;
            lock (run)
            {
                total = run.Total;
                started = run.Started;
            }

            var seconds = _time.GetElapsedTime(started).TotalSeconds;
            LogMessages.Recovered(_logger, area, key.Kind, total, seconds);
        }
    }

    private sealed class Run
    {
        public long Total;
        public long Suppressed;
        public long Started;
        public long LastLine;
    }
}
