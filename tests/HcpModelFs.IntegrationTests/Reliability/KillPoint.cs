using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Where a crash scenario kills: when the <see cref="Nth"/> write (PUT or POST) below <see cref="KeyPrefix"/> reaches
/// the fault proxy. The write is either held before it reaches the store (<see cref="Landed"/> false: the process dies
/// before the store saw it) or forwarded with its answer withheld (true: the store took it, the process never heard).
/// Both are drawn from the scenario's seeded RNG, so a seed names the same kill points every run. <see cref="Reached"/>
/// completes when the write arrives: the kill loop waits on it, not on a clock.
/// </summary>
internal sealed class KillPoint
{
    /// <summary>Long enough to outlive any kill; the proxy's dispose ends the wait.</summary>
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);

    private readonly TaskCompletionSource<ProxyRequest> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _seen;

    private KillPoint(string keyPrefix, int nth, bool landed)
    {
        KeyPrefix = keyPrefix;
        Nth = nth;
        Landed = landed;
    }

    public string KeyPrefix { get; }

    public int Nth { get; }

    public bool Landed { get; }

    public Task<ProxyRequest> Reached => _reached.Task;

    /// <summary>A kill point among the first <paramref name="writes"/> writes below <paramref name="keyPrefix"/>.</summary>
    public static KillPoint Draw(Random random, string keyPrefix, int writes)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new KillPoint(keyPrefix, random.Next(1, writes + 1), random.Next(2) == 0);
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
                if (!IsCountedWrite(r, KeyPrefix) || Interlocked.Increment(ref _seen) != Nth)
                {
                    return false;
                }

                _reached.TrySetResult(r);
                return true;
            },
        });
    }

    public override string ToString() => $"write #{Nth} below {KeyPrefix} ({(Landed ? "landed, answer withheld" : "held before the store")})";
}
