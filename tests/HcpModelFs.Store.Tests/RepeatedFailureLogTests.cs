using HcpModelFs.Testing.Fakes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.Store.Tests;

public sealed class RepeatedFailureLogTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    private readonly ManualTimeProvider _time = new();
    private readonly CapturingLoggerFactory _logs = new();
    private readonly RepeatedFailureLog _log;

    public RepeatedFailureLogTests()
    {
        _log = new RepeatedFailureLog(_logs.CreateLogger("test"), _time, Interval);
    }

    private IReadOnlyList<string> Lines => [.. _logs.Lines];

    public void Dispose() => _logs.Dispose();

    [Fact]
    public void First_failure_asks_the_caller_to_log_and_repeats_within_the_interval_are_silent()
    {
        Assert.True(_log.Failed("read", "Unavailable", "GET a"));
        for (var i = 0; i < 1000; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            Assert.False(_log.Failed("read", "Unavailable", "GET b"));
        }

        // 1000 x 50 ms = 50 s < the interval: nothing written by the summariser yet.
        Assert.Empty(Lines);
    }

    [Fact]
    public void Failures_after_the_interval_write_one_summary_with_the_count()
    {
        Assert.True(_log.Failed("read", "Unavailable", "GET a"));
        for (var i = 0; i < 9; i++)
        {
            Assert.False(_log.Failed("read", "Unavailable", "GET a"));
        }

        _time.Advance(Interval);
        Assert.False(_log.Failed("read", "Unavailable", "GET last"));
        Assert.False(_log.Failed("read", "Unavailable", "GET after"));

        var line = Assert.Single(Lines);
        Assert.Contains(" 2010 ", line, StringComparison.Ordinal);
        Assert.Contains("10 more in the last 60 s, 11 since it started; last: GET last", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Success_ends_the_run_with_one_recovery_line_and_the_next_failure_starts_a_new_run()
    {
        Assert.True(_log.Failed("read", "Unavailable", "x"));
        Assert.False(_log.Failed("read", "Unavailable", "x"));
        _time.Advance(TimeSpan.FromSeconds(7));

        _log.Succeeded("read");
        _log.Succeeded("read");

        var line = Assert.Single(Lines);
        Assert.Contains(" 2011 ", line, StringComparison.Ordinal);
        Assert.Contains("read recovered (Unavailable) after 2 failures in 7 s", line, StringComparison.Ordinal);
        Assert.True(_log.Failed("read", "Unavailable", "x"));
    }

    [Fact]
    public void Kinds_and_areas_are_separate_runs()
    {
        Assert.True(_log.Failed("read", "Unavailable", "x"));
        Assert.True(_log.Failed("read", "CircuitOpen", "x"));
        Assert.True(_log.Failed("lookup", "Unavailable", "x"));

        _log.Succeeded("lookup");

        var line = Assert.Single(Lines);
        Assert.Contains("lookup recovered", line, StringComparison.Ordinal);
        Assert.False(_log.Failed("read", "Unavailable", "x"));
    }

    [Fact]
    public void Success_with_nothing_failing_writes_nothing()
    {
        _log.Succeeded("read");
        Assert.Empty(Lines);
    }
}
