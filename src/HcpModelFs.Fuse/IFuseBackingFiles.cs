using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Fuse;

/// <summary>
/// FUSE passthrough (Linux 6.9+, protocol 7.40): registers a local file with the kernel so that an OPEN can be
/// answered "serve this open from that file" (<see cref="FuseOpenReply.BackingId"/>). read(2), splice and mmap of such
/// an open then go straight to the backing file and its page cache; no READ reaches the daemon. LOOKUP, GETATTR and
/// RELEASE still do: the size the kernel shows is still ours, so it must match the backing file.
/// Obtained from <see cref="FuseConnectionInfo.BackingFiles"/> in <see cref="IFuseFileSystem.OnInitialized"/>.
/// </summary>
/// <remarks>
/// Kernel rules (fs/fuse/iomode.c, fuse-protocol.md §10); breaking one fails the user's open() with EIO:
/// <list type="bullet">
/// <item>All opens of one inode that are outstanding at the same time are either all passthrough or all cached
/// (ordinary) I/O: a passthrough open while a cached open of the same inode is outstanding fails, and so does a cached
/// open while a passthrough one is. Track open handles per node and switch a node to passthrough only while it has
/// no cached open; keep it passthrough until its last handle is released.</item>
/// <item>All passthrough opens of one inode outstanding at the same time must name the same backing file: reuse
/// one backing id per node rather than registering a file per open.</item>
/// <item>The backing id must stay registered until the kernel has processed the OPEN reply that names it: never
/// <see cref="Close"/> it before replying. Close it when the last passthrough handle of that file is released (the
/// kernel keeps its own reference to the file for open files, so closing then is safe), or leave it to the unmount:
/// ids die with the connection.</item>
/// <item>Passthrough opens use the backing file's page cache; KEEP_CACHE and the other caching flags do not apply
/// (the kernel refuses them together with passthrough, so the session drops them, see <see cref="FuseOpenReply"/>).</item>
/// </list>
/// Registering needs CAP_SYS_ADMIN in the initial user namespace (root on the host, not root in a container's user
/// namespace, not an unprivileged fusermount3 mount): otherwise <see cref="Open"/> fails EPERM once, is logged once,
/// and from then on <see cref="IsAvailable"/> is false. Serve such opens as ordinary cached opens.
/// </remarks>
public interface IFuseBackingFiles
{
    /// <summary>True when INIT granted passthrough and the kernel has not refused a registration with EPERM.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Registers <paramref name="file"/> (a regular file, O_RDONLY is enough) and returns its backing id (&gt; 0).
    /// The kernel takes its own reference: <paramref name="file"/> may be closed once this returns.
    /// Errors: ENOSYS (passthrough not granted), EPERM (no CAP_SYS_ADMIN), ELOOP (the file is on a stacked filesystem
    /// such as overlayfs), EINVAL/EISDIR (not a regular file), EOPNOTSUPP, EBADF.
    /// </summary>
    FuseResult<int> Open(SafeFileHandle file);

    /// <summary>Unregisters a backing id from <see cref="Open"/>. ENOENT if it is unknown, ENOSYS without passthrough.</summary>
    Errno Close(int backingId);
}
