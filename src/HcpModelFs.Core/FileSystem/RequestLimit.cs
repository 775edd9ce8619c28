namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// The longest a FUSE request may wait for anything (a block fetch, another reader's or the prefetcher's fetch, an
/// ingest's hash check, a listing) before it is answered EIO. A page fault is a READ, so this is what keeps a process
/// touching an mmapped model from hanging on a store that accepted the connection and never answers.
/// <para>Cost: a request that does not wait (its bytes are in memory or on disk) never calls <see cref="Start"/>; one
/// that does gets one linked token source with a timer, next to a block fetch of megabytes.</para>
/// </summary>
public sealed class RequestLimit
{
    private RequestLimit(TimeSpan? limit)
    {
        Limit = limit;
    }

    /// <summary>No limit: a waiting request waits as long as the store and its retries take (tests only).</summary>
    public static RequestLimit None { get; } = new(null);

    /// <summary>The limit, or null when waits are unbounded.</summary>
    public TimeSpan? Limit { get; }

    public static RequestLimit Of(TimeSpan limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        return new RequestLimit(limit);
    }

    /// <summary>A token that fires when <paramref name="request"/> does (interrupt, unmount) or when the limit runs out.</summary>
    public Bound Start(CancellationToken request)
    {
        if (Limit is not { } limit)
        {
            return new Bound(null, request);
        }

        var source = CancellationTokenSource.CreateLinkedTokenSource(request);
        source.CancelAfter(limit);
        return new Bound(source, request);
    }

    /// <summary>One request's wait; dispose it when the request is answered.</summary>
    public readonly struct Bound : IDisposable
    {
        private readonly CancellationTokenSource? _source;
        private readonly CancellationToken _request;

        internal Bound(CancellationTokenSource? source, CancellationToken request)
        {
            _source = source;
            _request = request;
        }

        public CancellationToken Token => _source?.Token ?? _request;

        /// <summary>The limit ran out (as opposed to the kernel interrupting the request).</summary>
        public bool Expired => _source is { IsCancellationRequested: true } && !_request.IsCancellationRequested;

        public void Dispose() => _source?.Dispose();
    }
}
