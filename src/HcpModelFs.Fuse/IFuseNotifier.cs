namespace HcpModelFs.Fuse;

/// <summary>
/// Notifications from the filesystem to the kernel. They take kernel inode locks: never call them from a handler
/// serving a request on the same inode or parent directory (that deadlocks); call them from a separate task.
/// Each returns the errno of the write (ENOENT: the kernel had nothing cached for it, which is harmless).
/// </summary>
public interface IFuseNotifier
{
    /// <summary>Drops cached attributes, and cached pages from <paramref name="offset"/> for <paramref name="length"/> bytes (offset -1: attributes only; length 0: to the end).</summary>
    Errno InvalidateInode(NodeId node, long offset, long length);

    /// <summary>Drops the cached name -> node mapping (positive or negative) of <paramref name="name"/> in <paramref name="parent"/>.</summary>
    Errno InvalidateEntry(NodeId parent, ReadOnlySpan<byte> name);

    /// <summary>Pushes data into the inode's page cache. Never store past the end of the file: it would extend its size.</summary>
    Errno Store(NodeId node, long offset, ReadOnlySpan<byte> data);
}
