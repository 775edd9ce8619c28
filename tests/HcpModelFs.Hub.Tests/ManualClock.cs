namespace HcpModelFs.Hub.Tests;

/// <summary>Wall clock that tests move forward by hand; timers stay real (timeouts in these tests are generous).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
