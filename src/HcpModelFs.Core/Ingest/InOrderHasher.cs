using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// One upload's verdict on a file: its parts go to an <see cref="OrderedDigest"/> as they land (in any order), and
/// <see cref="Completion"/> is the sha256 once the last byte matched the Hub's metadata, or the mismatch.
/// <see cref="Abandon"/> (the upload failed) cancels it, so a reader waiting on the verdict runs a pass of its own
/// instead of waiting for an upload that will not come back.
/// </summary>
internal sealed class InOrderHasher : IDisposable
{
    private readonly OrderedDigest _digest;
    private readonly Func<OrderedDigest, string> _verify;
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="digest">The file's digest (owned by the hasher from here on).</param>
    /// <param name="verify">Checks the finished digest (<see cref="HubDigestCheck.Verify"/>); throws on a mismatch.</param>
    public InOrderHasher(OrderedDigest digest, Func<OrderedDigest, string> verify)
    {
        _digest = digest;
        _verify = verify;
        if (digest.IsComplete)
        {
            Complete();
        }
    }

    public Task<string> Completion => _completion.Task;

    /// <summary>Hashes part <paramref name="index"/> once every part before it is hashed; the last one settles the verdict.</summary>
    public async Task AppendAsync(int index, ReadOnlyMemory<byte> part, CancellationToken cancellationToken)
    {
        if (await _digest.AppendAsync(index, part, cancellationToken))
        {
            Complete();
        }
    }

    public void Abandon() => _completion.TrySetCanceled();

    public void Dispose() => _digest.Dispose();

    private void Complete()
    {
        try
        {
            _completion.TrySetResult(_verify(_digest));
        }
        catch (IngestFailedException ex)
        {
            _completion.TrySetException(ex);
        }
    }
}
