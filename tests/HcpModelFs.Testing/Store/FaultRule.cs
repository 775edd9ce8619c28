namespace HcpModelFs.Testing.Store;

/// <summary>One fault of <see cref="S3FaultProxy"/>: which requests (predicate), how often, what happens.</summary>
public sealed class FaultRule
{
    public FaultRule(FaultKind kind)
    {
        Kind = kind;
    }

    public FaultKind Kind { get; }

    /// <summary>Which requests; default: every request.</summary>
    public Func<ProxyRequest, bool> Match { get; init; } = static _ => true;

    /// <summary>How many matching requests get the fault (then the rule is spent).</summary>
    public int Times { get; init; } = int.MaxValue;

    /// <summary>Chance that a matching request gets it (seeded, so runs repeat).</summary>
    public double Probability { get; init; } = 1.0;

    public long AfterBytes { get; init; }

    public TimeSpan Delay { get; init; }

    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>What <see cref="FaultKind.Callback"/> runs before it forwards the request.</summary>
    public Func<ProxyRequest, Task>? Callback { get; init; }

    /// <summary>Send <see cref="RetryAfterSeconds"/> as Retry-After with an error answer (429 always sends it).</summary>
    public bool WithRetryAfter { get; init; }

    internal int Remaining;

    /// <summary>Matches GETs of object data (ranged or whole).</summary>
    public static bool DataGet(ProxyRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.Method == "GET" && r.Key is not null && !r.Query.Contains("uploads", StringComparison.Ordinal);
    }
}
