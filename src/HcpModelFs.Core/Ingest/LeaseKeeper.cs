using HcpModelFs.Store;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Keeps an ingest lease while its holder works: renews it every TTL/3 (by creating the next sequence number), and when
/// another node has taken it over, cancels <see cref="Token"/> so the uploads stop. A renewal that fails on a store
/// hiccup is tried again next interval: a lease only expires after a whole TTL without renewal.
/// </summary>
internal sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly IngestLease _lease;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _held;
    private readonly Task _renewals;
    private volatile bool _lost;

    public LeaseKeeper(IngestLease lease, TimeSpan ttl, TimeProvider time, CancellationToken stop)
    {
        _lease = lease;
        _interval = ttl / 3;
        _time = time;
        _held = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _renewals = RenewAsync();
    }

    /// <summary>Cancelled when the lease is lost or the keeper is disposed (or the job stopped).</summary>
    public CancellationToken Token => _held.Token;

    /// <summary>Another node took the lease over.</summary>
    public bool Lost => _lost;

    /// <summary>Stops renewing (the work is done or failed); the lease itself is released by its holder.</summary>
    public async ValueTask DisposeAsync()
    {
        await _held.CancelAsync();
        await _renewals;
        _held.Dispose();
    }

    private async Task RenewAsync()
    {
        var token = _held.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_interval, _time, token);
                if (!await _lease.TryAdvanceAsync(token))
                {
                    _lost = true;
                    await _held.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (StoreException)
            {
                // Could not renew now: try again next interval.
            }
        }
    }
}
