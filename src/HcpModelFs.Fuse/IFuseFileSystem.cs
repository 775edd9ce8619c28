using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.Fuse;

/// <summary>
/// An inode-level, asynchronous, read-only filesystem served by <see cref="Session.FuseSession"/>.
/// Handlers may complete in any order; the session replies to each request exactly once. A handler that throws
/// yields EIO (and one log line); one whose token is cancelled by FUSE_INTERRUPT yields EINTR. Names arrive as raw
/// bytes (Linux names are bytes, usually UTF-8). Forget is synchronous and must not do I/O.
/// </summary>
public interface IFuseFileSystem
{
    /// <summary>
    /// Called once after INIT, before any other request: what was negotiated, and how to notify the kernel. Keep
    /// <see cref="FuseConnectionInfo.BackingFiles"/> to answer OPEN by passthrough (<see cref="FuseOpenReply.BackingId"/>).
    /// </summary>
    void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier);

    /// <summary>Resolves <paramref name="name"/> in directory <paramref name="parent"/>. Each success with a non-zero node counts one lookup.</summary>
    ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken);

    /// <summary>The kernel dropped <paramref name="lookups"/> references to <paramref name="node"/>. At zero it may be forgotten.</summary>
    void Forget(NodeId node, ulong lookups);

    ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken);

    /// <summary>Opens a file for reading. <paramref name="flags"/> are the open(2) flags; write modes never reach here (EROFS).</summary>
    ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Reads into <paramref name="destination"/> (lent by the session; do not keep it) and returns the byte count.
    /// Return exactly min(destination.Length, size - offset) bytes: a short read in the middle of a file is taken by
    /// the kernel as end of file. Fail with an errno (EIO) instead.
    /// </summary>
    ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken);

    /// <summary>The last close or munmap of an open file. May never come for files open at unmount.</summary>
    ValueTask ReleaseAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken);

    ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Lists entries after cookie <paramref name="offset"/> (0 = from the start) through <paramref name="writer"/> until it
    /// reports full. READDIR and READDIRPLUS must produce the same entries and cookies.
    /// </summary>
    ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken);

    ValueTask ReleaseDirAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken);

    ValueTask<FuseResult<FuseStatFs>> StatFsAsync(NodeId node, CancellationToken cancellationToken);

    /// <summary>Writes the symlink target into <paramref name="destination"/> and returns its length.</summary>
    ValueTask<FuseResult<int>> ReadLinkAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the full length of the attribute value and copies it into <paramref name="destination"/> when it fits.
    /// An empty destination is a size probe. ENODATA: no such attribute. ENOSYS switches xattrs off for the mount.
    /// </summary>
    ValueTask<FuseResult<int>> GetXAttrAsync(NodeId node, ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Like <see cref="GetXAttrAsync"/> for the NUL-separated list of attribute names.</summary>
    ValueTask<FuseResult<int>> ListXAttrAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken);
}
