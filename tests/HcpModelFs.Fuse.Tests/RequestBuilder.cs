using System.Buffers.Binary;
using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Tests;

/// <summary>Builds request bytes laid out as fuse_in_header + body, for tests beyond the literal-byte ones.</summary>
internal static class RequestBuilder
{
    public static byte[] Build(FuseOpcode opcode, ulong unique, ulong nodeId, ReadOnlySpan<byte> body)
    {
        var message = new byte[40 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), (uint)opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(8), unique);
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(16), nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(24), 1000);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(28), 1001);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(32), 4242);
        body.CopyTo(message.AsSpan(40));
        return message;
    }

    public static byte[] ReadIn(ulong fh, ulong offset, uint size)
    {
        var body = new byte[40];
        BinaryPrimitives.WriteUInt64LittleEndian(body, fh);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(8), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), size);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(32), 0x8000); // O_LARGEFILE, as the kernel sends
        return body;
    }

    /// <summary>A 6.18 kernel's INIT (7.45, flags 0x73fffffb, flags2 0x5fd, readahead 128 KiB).</summary>
    public static byte[] Init(uint major = 7, uint minor = 45, uint flags = 0x73fffffb, uint flags2 = 0x5fd)
    {
        var body = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(body, major);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), minor);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), 131072);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(12), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), flags2);
        return Build(FuseOpcode.Init, 2, 0, body);
    }
}
