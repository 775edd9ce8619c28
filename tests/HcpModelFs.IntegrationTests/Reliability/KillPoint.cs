using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Where a crash scenario kills: when the <see cref="Nth"/> counted request (writes of a model, or data reads) reaches
/// the fault proxy. The request is either held before it reaches the store (<see cref="Landed"/> false: the process
/// dies before the store saw it) or forwarded with its answer withheld (true: the store took it, the process never
/// heard). Both are drawn from the scenario's seeded RNG, so a seed names the same kill points every run.
/// <see cref="Reached"/> completes when the request arrives: the kill loop waits on it, not on a clock.
/// </summary>
internal sealed class KillPoint
{
    /// <summary>Long enough to outlive any kill; the proxy's dispose ends the wait.</summary>
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);

    private readonly TaskCompletionSource<ProxyRequest> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<ProxyRequest, bool> _counted;
    private readonly string _what;
    private int _seen;

    private KillPoint(Func<ProxyRequest, bool> counted, string what, int nth, bool landed)
    {
        _counted = counted;
        _what = what;
        Nth = nth;
        Landed = landed;
    }

    public int Nth { get; }

    public bool Landed { get; }

    public Task<ProxyRequest> Reached => _reached.Task;

    /// <summary>A kill point among the first <paramref name="writes"/> writes below <paramref name="keyPrefix"/>.</summary>
    public static KillPoint AtWrite(Random random, string keyPrefix, int writes)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new KillPoint(r => IsCountedWrite(r, keyPrefix), $"write below {keyPrefix}", random.Next(1, writes + 1), random.Next(2) == 0);
    }

    /// <summary>A kill point at a data GET below <paramref name="keyPrefix"/>, the <c>[from, to]</c>-th one.</summary>
    public static KillPoint AtRead(Random random, string keyPrefix, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new KillPoint(
            r => FaultRule.DataGet(r) && r.Key!.StartsWith(keyPrefix, StringComparison.Ordinal) && !r.Key.EndsWith("/manifest.json", StringComparison.Ordinal),
            $"data GET below {keyPrefix}", random.Next(from, to + 1), random.Next(2) == 0);
    }

    /// <summary>Writes that count: objects, manifests and refs of the model, not its leases (renewed on a timer).</summary>
    public static bool IsCountedWrite(ProxyRequest request, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Method is "PUT" or "POST" && request.Key is { } key
            && key.StartsWith(keyPrefix, StringComparison.Ordinal)
            && !key.Contains("/.hcpmodelfs/leases/", StringComparison.Ordinal);
    }

    /// <summary>Arms the kill point on <paramref name="proxy"/>: one rule, spent when it fires.</summary>
    public void Arm(S3FaultProxy proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        proxy.AddRule(new FaultRule(Landed ? FaultKind.Stall : FaultKind.Latency)
        {
            Times = 1,
            Delay = Hold,
            Match = r =>
            {
                if (!_counted(r) || Interlocked.Increment(ref _seen) != Nth)
                {
                    return false;
                }

                _reached.TrySetResult(r);
                return true;
            },
        });
    }

    public override string ToString() => $"{_what} #{Nth} ({(Landed ? "landed, answer withheld" : "held before the store")})";
}
