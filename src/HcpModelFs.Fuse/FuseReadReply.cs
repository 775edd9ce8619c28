namespace HcpModelFs.Fuse;

/// <summary>
/// The answer to a READ that had to wait: bytes written into the session's buffer (<see cref="Count"/>), or bytes
/// lent (<see cref="IsLent"/>), which the session writes from and then releases.
/// </summary>
public readonly struct FuseReadReply
{
    public FuseReadReply(int count) => Count = count;

    public FuseReadReply(FuseReadLease lease)
    {
        Lease = lease;
        Count = lease.Data.Length;
        IsLent = true;
    }

    /// <summary>Bytes of the reply (in the buffer, or lent).</summary>
    public int Count { get; }

    public bool IsLent { get; }

    public FuseReadLease Lease { get; }
}
