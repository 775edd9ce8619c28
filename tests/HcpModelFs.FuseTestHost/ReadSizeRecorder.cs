using System.Collections.Concurrent;
using System.Globalization;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.FuseTestHost;

/// <summary>Decorator that counts READ requests by size, so the benchmark can report what the kernel actually sent.</summary>
internal sealed class ReadSizeRecorder(IFuseFileSystem inner) : IFuseFileSystem
{
    private readonly ConcurrentDictionary<int, long> _sizes = new();

    public string Summary() => string.Join(' ', _sizes.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}:{p.Value}")));

    public ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
    {
        _sizes.AddOrUpdate(destination.Length, 1, (_, n) => n + 1);
        return inner.ReadAsync(node, handle, offset, destination, context, cancellationToken);
    }

    public void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier) => inner.OnInitialized(connection, notifier);

    public ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken) => inner.LookupAsync(parent, name, context, cancellationToken);

    public void Forget(NodeId node, ulong lookups) => inner.Forget(node, lookups);

    public ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken) => inner.GetAttrAsync(node, handle, context, cancellationToken);

    public ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) => inner.OpenAsync(node, flags, context, cancellationToken);

    public ValueTask ReleaseAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken) => inner.ReleaseAsync(node, handle, cancellationToken);

    public ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) => inner.OpenDirAsync(node, flags, context, cancellationToken);

    public ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken) => inner.ReadDirAsync(node, handle, offset, writer, context, cancellationToken);

    public ValueTask ReleaseDirAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken) => inner.ReleaseDirAsync(node, handle, cancellationToken);

    public ValueTask<FuseResult<FuseStatFs>> StatFsAsync(NodeId node, CancellationToken cancellationToken) => inner.StatFsAsync(node, cancellationToken);

    public ValueTask<FuseResult<int>> ReadLinkAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken) => inner.ReadLinkAsync(node, destination, cancellationToken);

    public ValueTask<FuseResult<int>> GetXAttrAsync(NodeId node, ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken) => inner.GetXAttrAsync(node, name, destination, cancellationToken);

    public ValueTask<FuseResult<int>> ListXAttrAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken) => inner.ListXAttrAsync(node, destination, cancellationToken);
}
