using HcpModelFs.Store;

namespace HcpModelFs.Hosting;

/// <summary>
/// What /readyz answers: ready once the daemon serves (mounted, or for `serve` listening) and the store answers. Each
/// check sends one HEAD of a key that need not exist (not-found is an answer) with a short limit, so a pod whose
/// store is down or unreachable leaves the load balancer within one probe period. Concurrent checks share one probe.
/// </summary>
internal sealed class Readiness(IObjectStore store, string probeKey)
{
    private static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(2);
    private readonly Lock _lock = new();
    private volatile string? _notServing = "not serving yet";
    private Task<string?>? _probe;

    /// <summary>The mount is up or the HTTP endpoint listens.</summary>
    public void Serving() => _notServing = null;

    public void Stopping() => _notServing = "stopping";

    /// <summary>Null when ready, else a one-line reason.</summary>
    public async Task<string?> CheckAsync()
    {
        if (_notServing is { } reason)
        {
            return reason;
        }

        Task<string?> probe;
        lock (_lock)
        {
            if (_probe is null || _probe.IsCompleted)
            {
                _probe = ProbeAsync();
            }

            probe = _probe;
        }

        return await probe;
    }

    private async Task<string?> ProbeAsync()
    {
        using var limit = new CancellationTokenSource(ProbeLimit);
        try
        {
            await store.HeadAsync(probeKey, limit.Token);
            return null;
        }
        catch (StoreException ex) when (!limit.IsCancellationRequested)
        {
            return $"store {store.Name} failing ({ex.Kind})";
        }
        catch (Exception ex) when (ex is OperationCanceledException or StoreException)
        {
            return $"store {store.Name} did not answer within {ProbeLimit.TotalSeconds:F0} s";
        }
    }
}
