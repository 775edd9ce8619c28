using System.Buffers.Binary;
using HcpModelFs.Fuse.Session;

namespace HcpModelFs.Fuse.Tests;

/// <summary>Notifications are written with unique 0 and the notify code in the error field (fuse-protocol.md §11).</summary>
public sealed class FuseNotifierTests
{
    private readonly CapturingSink _sink = new();
    private readonly BufferPool _pool = new();

    [Fact]
    public void InvalidateInode_writes_code_2_and_the_24_byte_body()
    {
        new FuseNotifier(_sink, _pool).InvalidateInode(new NodeId(9), -1, 0);
        var m = _sink.Single();
        Assert.Equal((40u, 2, 0ul), CapturingSink.Header(m));
        Assert.Equal(9ul, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(16)));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(m.AsSpan(24)));
        Assert.Equal(0L, BinaryPrimitives.ReadInt64LittleEndian(m.AsSpan(32)));
    }

    [Fact]
    public void InvalidateEntry_writes_code_3_the_name_and_its_terminator()
    {
        new FuseNotifier(_sink, _pool).InvalidateEntry(new NodeId(4), "model"u8);
        var m = _sink.Single();
        Assert.Equal((16u + 16 + 5 + 1, 3, 0ul), CapturingSink.Header(m));
        Assert.Equal(4ul, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(16)));
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(24)));
        Assert.Equal("model\0"u8.ToArray(), m.AsSpan(32).ToArray());
    }

    [Fact]
    public void Store_writes_code_4_header_body_and_data_in_one_message()
    {
        new FuseNotifier(_sink, _pool).Store(new NodeId(8), 4096, [1, 2, 3]);
        var m = _sink.Single();
        Assert.Equal((16u + 24 + 3, 4, 0ul), CapturingSink.Header(m));
        Assert.Equal(8ul, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(16)));
        Assert.Equal(4096ul, BinaryPrimitives.ReadUInt64LittleEndian(m.AsSpan(24)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(32)));
        Assert.Equal([1, 2, 3], m.AsSpan(40).ToArray());
        Assert.Equal(0, _pool.Outstanding);
    }
}
