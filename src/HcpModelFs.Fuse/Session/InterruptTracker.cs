namespace HcpModelFs.Fuse.Session;

/// <summary>
/// Maps the unique id of each request in flight to the token source its handler listens to, so FUSE_INTERRUPT can
/// cancel it. Token sources are pooled (TryReset) so an uninterrupted request allocates nothing here.
/// Striped locks keep readers on different threads from contending.
/// </summary>
internal sealed class InterruptTracker
{
    private const int Stripes = 16;
    private readonly Dictionary<ulong, CancellationTokenSource>[] _inFlight;
    private readonly Stack<CancellationTokenSource> _pool = new();

    public InterruptTracker()
    {
        _inFlight = new Dictionary<ulong, CancellationTokenSource>[Stripes];
        for (var i = 0; i < Stripes; i++)
        {
            _inFlight[i] = new Dictionary<ulong, CancellationTokenSource>(64);
        }
    }

    public CancellationTokenSource Register(ulong unique)
    {
        CancellationTokenSource? source = null;
        lock (_pool)
        {
            _pool.TryPop(out source);
        }

        source ??= new CancellationTokenSource();
        var stripe = _inFlight[Stripe(unique)];
        lock (stripe)
        {
            stripe[unique] = source;
        }

        return source;
    }

    public void Complete(ulong unique, CancellationTokenSource source)
    {
        var stripe = _inFlight[Stripe(unique)];
        lock (stripe)
        {
            stripe.Remove(unique);
        }

        // A cancelled source cannot be reset; it is left to the GC rather than disposed, because its callbacks may
        // still be running on the thread pool (CancelAsync) and Dispose is not safe against them.
        if (source.TryReset())
        {
            lock (_pool)
            {
                if (_pool.Count < 1024)
                {
                    _pool.Push(source);
                }
            }
        }
    }

    /// <summary>Cancels the request with this unique id. False when it is not (or no longer) in flight.</summary>
    public bool Interrupt(ulong unique)
    {
        var stripe = _inFlight[Stripe(unique)];
        lock (stripe)
        {
            if (!stripe.TryGetValue(unique, out var source))
            {
                return false;
            }

            // Under the lock, so the source cannot be completed and handed to another request meanwhile. CancelAsync
            // flips the state here and runs callbacks on the thread pool, so no handler code runs inside the lock.
            _ = source.CancelAsync();
            return true;
        }
    }

    /// <summary>Cancels everything in flight (session stopping).</summary>
    public int InterruptAll()
    {
        var count = 0;
        foreach (var stripe in _inFlight)
        {
            lock (stripe)
            {
                foreach (var source in stripe.Values)
                {
                    _ = source.CancelAsync();
                    count++;
                }
            }
        }

        return count;
    }

    public int Count
    {
        get
        {
            var total = 0;
            foreach (var stripe in _inFlight)
            {
                lock (stripe)
                {
                    total += stripe.Count;
                }
            }

            return total;
        }
    }

    // Uniques are even and increase by 2; drop bit 0 so all stripes get used.
    private static int Stripe(ulong unique) => (int)((unique >> 1) % Stripes);
}
