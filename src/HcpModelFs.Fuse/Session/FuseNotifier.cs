using System.Runtime.InteropServices;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.Fuse.Session;

/// <summary>Writes notifications (unique 0, error = code) to any descriptor of the connection.</summary>
internal sealed class FuseNotifier : IFuseNotifier
{
    private const int MaxNameLength = 1024;
    private readonly IFuseReplySink _sink;
    private readonly BufferPool _pool;

    public FuseNotifier(IFuseReplySink sink, BufferPool pool)
    {
        _sink = sink;
        _pool = pool;
    }

    public Errno InvalidateInode(NodeId node, long offset, long length)
    {
        Span<byte> message = stackalloc byte[FuseOutHeader.Size + FuseNotifyInvalInodeOut.Size];
        WriteHeader(message, FuseNotifyCode.InvalInode);
        var body = new FuseNotifyInvalInodeOut { Ino = node.Value, Off = offset, Len = length };
        MemoryMarshal.Write(message[FuseOutHeader.Size..], in body);
        return _sink.Send(message);
    }

    public Errno InvalidateEntry(NodeId parent, ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return Errno.ENAMETOOLONG;
        }

        Span<byte> message = stackalloc byte[FuseOutHeader.Size + FuseNotifyInvalEntryOut.Size + name.Length + 1];
        WriteHeader(message, FuseNotifyCode.InvalEntry);
        var body = new FuseNotifyInvalEntryOut { Parent = parent.Value, NameLen = (uint)name.Length };
        MemoryMarshal.Write(message[FuseOutHeader.Size..], in body);
        var nameStart = FuseOutHeader.Size + FuseNotifyInvalEntryOut.Size;
        name.CopyTo(message[nameStart..]);
        message[^1] = 0;
        return _sink.Send(message);
    }

    public Errno Store(NodeId node, long offset, ReadOnlySpan<byte> data)
    {
        var headerLength = FuseOutHeader.Size + FuseNotifyStoreOut.Size;
        var buffer = _pool.Rent(headerLength);
        try
        {
            var header = buffer.AsSpan(0, headerLength);
            AbiWriter.WriteOutHeader(header, headerLength + data.Length, (Errno)(-(int)FuseNotifyCode.Store), 0);
            var body = new FuseNotifyStoreOut { NodeId = node.Value, Offset = (ulong)offset, DataSize = (uint)data.Length };
            MemoryMarshal.Write(header[FuseOutHeader.Size..], in body);
            return _sink.Send(header, data);
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private static void WriteHeader(Span<byte> message, FuseNotifyCode code) =>
        // Notifications carry their code where a reply carries -errno; WriteOutHeader negates, so pass -code.
        AbiWriter.WriteOutHeader(message, message.Length, (Errno)(-(int)code), 0);
}
