using HcpModelFs.Fuse;
using HcpModelFs.Store;

namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// The one place where failures become errnos: not found -> ENOENT; denied -> EACCES; everything a reader cannot fix
/// (store unavailable, circuit open, timeout, truncated or corrupt data) -> EIO. Interrupts are not mapped here: the
/// session answers a cancelled request with EINTR.
/// </summary>
internal static class ErrnoMap
{
    public static Errno From(Exception exception) => exception switch
    {
        StoreException { Kind: StoreErrorKind.NotFound } => Errno.ENOENT,
        StoreException { Kind: StoreErrorKind.AccessDenied } => Errno.EACCES,
        StoreException => Errno.EIO,
        FileNotFoundException => Errno.ENOENT,
        UnauthorizedAccessException => Errno.EACCES,
        _ => Errno.EIO,
    };

    public static string Kind(Exception exception) => exception is StoreException s ? s.Kind.ToString() : exception.GetType().Name;
}
