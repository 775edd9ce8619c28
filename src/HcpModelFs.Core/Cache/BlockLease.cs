namespace HcpModelFs.Core.Cache;

/// <summary>
/// Bytes of a block in memory, lent to a reader (the FUSE reply is written from them, no copy); the block's buffer is
/// held until <see cref="Release(object)"/> is called with <see cref="Owner"/>. A struct plus a static release, so
/// lending allocates nothing.
/// </summary>
public readonly struct BlockLease
{
    internal BlockLease(BlockBuffer buffer, ReadOnlyMemory<byte> memory)
    {
        Owner = buffer;
        Memory = memory;
    }

    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>What to pass to <see cref="Release(object)"/>.</summary>
    public object Owner { get; }

    /// <summary>Gives a lent block back.</summary>
    public static void Release(object owner) => ((BlockBuffer)owner).Release();
}
