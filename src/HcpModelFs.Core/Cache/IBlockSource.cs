namespace HcpModelFs.Core.Cache;

/// <summary>Where a missing block comes from: the store, or a running ingest.</summary>
public interface IBlockSource
{
    /// <summary>Reads exactly <c>destination.Length</c> bytes of <paramref name="id"/> at <paramref name="offset"/>, or throws.</summary>
    ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken);
}
