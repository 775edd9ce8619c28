namespace HcpModelFs.Core.Cache;

/// <summary>Where a missing block comes from: the store, or a running ingest.</summary>
public interface IBlockSource
{
    /// <summary>Reads exactly <c>destination.Length</c> bytes of <paramref name="id"/> at <paramref name="offset"/>, or throws.</summary>
    ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Completes when a read at <paramref name="offset"/> would wait for nothing but its own transfer. A cache awaits it
    /// before it takes a fetch slot or a block buffer, so a source that waits on someone else (a follower waiting for
    /// the lease holder's object) holds neither meanwhile, and fetches queued behind it do not wait twice. Never throws
    /// for the wait running out: the source then reads from wherever it can.
    /// </summary>
    ValueTask WhenReadyAsync(CacheObjectId id, long offset, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Whether reading ahead of the readers is worth starting now. False while reads of <paramref name="id"/> past its
    /// first block would wait on someone else and then cost what the wait is there to save (a follower's Hub bytes):
    /// the prefetcher then leaves the file to its readers until this turns true.
    /// </summary>
    bool CanReadAhead(CacheObjectId id) => true;
}
