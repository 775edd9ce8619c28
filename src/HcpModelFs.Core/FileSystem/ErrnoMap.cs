using HcpModelFs.Core.Ingest;
using HcpModelFs.Fuse;
using HcpModelFs.Hub;
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
        ModelAccessDeniedException => Errno.EACCES,
        HubException { Kind: HubErrorKind.RepoNotFound or HubErrorKind.RevisionNotFound or HubErrorKind.EntryNotFound } => Errno.ENOENT,
        HubException { Kind: HubErrorKind.Gated or HubErrorKind.Unauthorized or HubErrorKind.Disabled } => Errno.EACCES,
        FileNotFoundException => Errno.ENOENT,
        UnauthorizedAccessException => Errno.EACCES,
        _ => Errno.EIO,
    };

    /// <summary>
    /// Failures the daemon meets in normal operation and can name without a stack trace: the store or the Hub
    /// refusing or not answering, a missing object, an ingest that failed, a timeout. Anything else is a bug.
    /// </summary>
    public static bool IsExpected(Exception exception) => exception is StoreException or HubException
        or IngestFailedException or ModelAccessDeniedException or TimeoutException or FileNotFoundException
        or UnauthorizedAccessException or HttpRequestException;

    public static string Kind(Exception exception) => exception switch
    {
        StoreException s => s.Kind.ToString(),
        HubException h => "Hub" + h.Kind,
        _ => exception.GetType().Name,
    };
}
