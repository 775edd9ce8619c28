namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Feeds one file's parts to its <see cref="IngestDigest"/> in file order as they land. Parts are fetched and uploaded
/// out of order; one that lands early waits for its predecessors while holding its buffer (the writer's part slots bound
/// how many). <see cref="Completion"/> is the file's verdict: its sha256 once the last byte matched the Hub's metadata,
/// or the mismatch. <see cref="Abandon"/> (the upload failed) cancels it, so a reader waiting on the verdict runs a pass
/// of its own instead of waiting for an upload that will not come back.
/// </summary>
internal sealed class InOrderHasher : IDisposable
{
    private readonly IngestDigest _digest;
    private readonly long _size;
    private readonly Func<IngestDigest, string> _finish;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource> _waiting = [];
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _hashed;

    /// <param name="digest">The file's digest (owned by the hasher from here on).</param>
    /// <param name="size">The file's size.</param>
    /// <param name="finish">Checks the finished digest (<see cref="IngestDigest.Finish"/>); throws on a mismatch.</param>
    public InOrderHasher(IngestDigest digest, long size, Func<IngestDigest, string> finish)
    {
        _digest = digest;
        _size = size;
        _finish = finish;
        if (size == 0)
        {
            Complete();
        }
    }

    public Task<string> Completion => _completion.Task;

    /// <summary>Hashes <paramref name="data"/>, the file's bytes at <paramref name="offset"/>, once every byte before it is hashed.</summary>
    public async ValueTask AppendAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Task turn;
        lock (_lock)
        {
            if (_completion.Task.IsCompleted)
            {
                return;
            }

            if (_hashed == offset)
            {
                turn = Task.CompletedTask;
            }
            else
            {
                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add(offset, waiter);
                turn = waiter.Task;
            }
        }

        await turn.WaitAsync(cancellationToken);
        // Only the piece at the hashed length gets here, so the digest is never fed by two threads at once.
        _digest.Append(data.Span);
        TaskCompletionSource? next;
        lock (_lock)
        {
            _hashed = offset + data.Length;
            _waiting.Remove(_hashed, out next);
        }

        if (_hashed == _size)
        {
            Complete();
        }

        next?.TrySetResult();
    }

    public void Abandon()
    {
        TaskCompletionSource[] waiting;
        lock (_lock)
        {
            waiting = [.. _waiting.Values];
            _waiting.Clear();
        }

        _completion.TrySetCanceled();
        foreach (var waiter in waiting)
        {
            waiter.TrySetCanceled();
        }
    }

    public void Dispose() => _digest.Dispose();

    private void Complete()
    {
        try
        {
            _completion.TrySetResult(_finish(_digest));
        }
        catch (IngestFailedException ex)
        {
            _completion.TrySetException(ex);
        }
    }
}
