namespace HcpModelFs.Store.Resilience;

/// <summary>Knobs of <see cref="ResilientObjectStore"/>; defaults suit HCP and RGW.</summary>
public sealed record ResilienceOptions
{
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxRetries { get; init; } = 5;

    /// <summary>At most one summary line per this interval while a failure repeats (one line when it starts).</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A Retry-After longer than this is not waited for (the call fails as Throttled).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    public double BreakerFailureRatio { get; init; } = 0.5;

    public int BreakerMinimumThroughput { get; init; } = 10;

    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BreakerBreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}
