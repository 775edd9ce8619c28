namespace HcpModelFs.Core.Cache;

/// <summary>
/// A block was fetched and checked but could not be kept: the cache's file system is at its free-space floor with
/// nothing evictable (the objects being read are pinned), or a write failed for space (ENOSPC, EDQUOT). Readers of the
/// flight copy their bytes from <see cref="Bytes"/> instead: a full disk serves uncached, it never fails a read.
/// </summary>
internal sealed class BlockNotCachedException : IOException
{
    public BlockNotCachedException(byte[] bytes, Exception? inner = null)
        : base("The block cache has no room for this block; it is served uncached.", inner)
    {
        Bytes = bytes;
    }

    public BlockNotCachedException()
        : this([])
    {
    }

    public BlockNotCachedException(string message)
        : base(message)
    {
        Bytes = [];
    }

    public BlockNotCachedException(string message, Exception inner)
        : base(message, inner)
    {
        Bytes = [];
    }

    /// <summary>The whole block, as fetched and checked.</summary>
    public byte[] Bytes { get; }

    /// <summary>Out of space on the file system or the user's quota (raw errno, as .NET reports it on Unix).</summary>
    public static bool IsNoSpace(IOException exception) => exception?.HResult is 28 or 122;
}
