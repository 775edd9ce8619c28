namespace HcpModelFs.Core.Cache;

/// <summary>
/// Runs at most one piece of work per key at a time; callers arriving while it runs wait for the same outcome.
/// </summary>
/// <remarks>
/// Cancellation: a caller's token only stops that caller's wait. The work gets a token of its own, cancelled when
/// every caller waiting for it has left (so nobody pays for a fetch no one wants); at that moment the key is also
/// released, so a caller arriving afterwards starts fresh work rather than joining a cancelled one. The abandoned
/// work may still be finishing then, so work must tolerate running twice for a key (the block cache does: committing
/// a block that is already present is a no-op). The work is started inline on the first caller's thread.
/// </remarks>
/// <typeparam name="TKey">The key; equality decides what is shared.</typeparam>
public sealed class SingleFlight<TKey>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, Flight> _flights;

    public SingleFlight(IEqualityComparer<TKey>? comparer = null)
    {
        _flights = new Dictionary<TKey, Flight>(comparer);
    }

    /// <summary>Number of keys with work running (for tests and diagnostics).</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _flights.Count;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/> unless it is already running, and waits for it.
    /// Completes with the work's outcome (its exception if it failed); throws <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public Task RunAsync(TKey key, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        Flight flight;
        var owner = false;
        lock (_lock)
        {
            if (!_flights.TryGetValue(key, out flight!))
            {
                flight = new Flight();
                _flights.Add(key, flight);
                owner = true;
            }

            flight.Waiters++;
        }

        if (owner)
        {
            _ = ExecuteAsync(key, flight, work);
        }

        return WaitAsync(key, flight, cancellationToken);
    }

    private async Task ExecuteAsync(TKey key, Flight flight, Func<CancellationToken, Task> work)
    {
        Exception? failure = null;
        try
        {
            await work(flight.Cancellation.Token);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        lock (_lock)
        {
            if (_flights.TryGetValue(key, out var current) && ReferenceEquals(current, flight))
            {
                _flights.Remove(key);
            }

            flight.Done = true;
        }

        flight.Cancellation.Dispose();
        if (failure is null)
        {
            flight.Completion.TrySetResult();
        }
        else if (failure is OperationCanceledException oce)
        {
            flight.Completion.TrySetCanceled(oce.CancellationToken);
        }
        else
        {
            flight.Completion.TrySetException(failure);
            _ = flight.Completion.Task.Exception; // observed: abandoned work must not raise UnobservedTaskException
        }
    }

    private async Task WaitAsync(TKey key, Flight flight, CancellationToken cancellationToken)
    {
        try
        {
            await flight.Completion.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested
                                                 && !flight.Completion.Task.IsCompleted)
        {
            var cancelWork = false;
            lock (_lock)
            {
                flight.Waiters--;
                if (flight.Waiters == 0 && !flight.Done)
                {
                    cancelWork = true;
                    if (_flights.TryGetValue(key, out var current) && ReferenceEquals(current, flight))
                    {
                        _flights.Remove(key);
                    }
                }
            }

            if (cancelWork)
            {
                try
                {
                    await flight.Cancellation.CancelAsync();
                }
                catch (ObjectDisposedException)
                {
                    // The work finished meanwhile.
                }
            }

            throw;
        }
    }

    private sealed class Flight
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenSource Cancellation { get; } = new();

        /// <summary>Callers still waiting; guarded by the owner's lock.</summary>
        public int Waiters { get; set; }

        /// <summary>The work has finished; guarded by the owner's lock.</summary>
        public bool Done { get; set; }
    }
}
