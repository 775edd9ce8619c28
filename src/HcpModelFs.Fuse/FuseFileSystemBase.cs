using HcpModelFs.Fuse.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Fuse;

/// <summary>
/// Defaults for every operation: ENOSYS for what a filesystem does not implement (logged once per operation),
/// and empty replies for release. Derive and override what you serve.
/// </summary>
public abstract class FuseFileSystemBase : IFuseFileSystem
{
    private readonly ILogger _logger;
    private int _loggedMask;

    protected FuseFileSystemBase(ILogger? logger = null) => _logger = logger ?? NullLogger.Instance;

    public virtual void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier)
    {
    }

    public virtual ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken) =>
        NotImplemented<FuseEntry>(0, nameof(LookupAsync));

    public virtual void Forget(NodeId node, ulong lookups)
    {
    }

    public virtual ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken) =>
        NotImplemented<FuseAttrReply>(1, nameof(GetAttrAsync));

    public virtual ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) =>
        NotImplemented<FuseOpenReply>(2, nameof(OpenAsync));

    public virtual ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken) =>
        NotImplemented<int>(3, nameof(ReadAsync));

    public virtual ValueTask ReleaseAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public virtual ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) =>
        NotImplemented<FuseOpenReply>(4, nameof(OpenDirAsync));

    public virtual ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken)
    {
        LogOnce(5, nameof(ReadDirAsync));
        return ValueTask.FromResult(Errno.ENOSYS);
    }

    public virtual ValueTask ReleaseDirAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public virtual ValueTask<FuseResult<FuseStatFs>> StatFsAsync(NodeId node, CancellationToken cancellationToken) =>
        ValueTask.FromResult(FuseResult<FuseStatFs>.Ok(new FuseStatFs { BlockSize = 4096, NameMax = 255 }));

    public virtual ValueTask<FuseResult<int>> ReadLinkAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken) =>
        NotImplemented<int>(6, nameof(ReadLinkAsync));

    // xattrs: ENOSYS is sticky for the mount, which stops `ls -l` probing security.selinux and ACLs on every entry.
    public virtual ValueTask<FuseResult<int>> GetXAttrAsync(NodeId node, ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken) =>
        ValueTask.FromResult(FuseResult<int>.Fail(Errno.ENOSYS));

    public virtual ValueTask<FuseResult<int>> ListXAttrAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken) =>
        ValueTask.FromResult(FuseResult<int>.Fail(Errno.ENOSYS));

    private ValueTask<FuseResult<T>> NotImplemented<T>(int bit, string operation)
    {
        LogOnce(bit, operation);
        return ValueTask.FromResult(FuseResult<T>.Fail(Errno.ENOSYS));
    }

    private void LogOnce(int bit, string operation)
    {
        var mask = 1 << bit;
        if ((Interlocked.Or(ref _loggedMask, mask) & mask) == 0)
        {
            LogMessages.NotImplemented(_logger, GetType().Name, operation);
        }
    }
}
