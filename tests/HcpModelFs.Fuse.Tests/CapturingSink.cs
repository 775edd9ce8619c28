using System.Buffers.Binary;

namespace HcpModelFs.Fuse.Tests;

/// <summary>Records every message the dispatcher writes, as the kernel would receive it.</summary>
internal sealed class CapturingSink : IFuseReplySink
{
    private readonly List<byte[]> _messages = [];

    public IReadOnlyList<byte[]> Messages
    {
        get
        {
            lock (_messages)
            {
                return _messages.ToList();
            }
        }
    }

    public byte[] Single() => Assert.Single(Messages);

    public Errno Send(ReadOnlySpan<byte> message)
    {
        lock (_messages)
        {
            _messages.Add(message.ToArray());
        }

        return Errno.Success;
    }

    public Errno Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload) => Send([.. header, .. payload]);

    public static (uint Len, int Error, ulong Unique) Header(byte[] message) =>
        (BinaryPrimitives.ReadUInt32LittleEndian(message), BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(4)),
         BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(8)));
}
