namespace HcpModelFs.Core.Cache;

/// <summary>What <see cref="IBlockCache.ReadOrLendAsync"/> answered: bytes copied into the destination, or lent.</summary>
public readonly struct CacheRead
{
    public CacheRead(int count) => Count = count;

    public CacheRead(BlockLease lease)
    {
        Lease = lease;
        Count = lease.Memory.Length;
        IsLent = true;
    }

    /// <summary>Bytes read (copied, or lent).</summary>
    public int Count { get; }

    /// <summary>The bytes are in <see cref="Lease"/>, not the destination; the caller releases it.</summary>
    public bool IsLent { get; }

    public BlockLease Lease { get; }
}
