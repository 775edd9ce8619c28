using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.Fuse.Tests;

public sealed class DirentWriterTests
{
    private static readonly FuseEntry File = new() { Node = new NodeId(5), Attributes = FuseAttributes.File(5, 1, DateTimeOffset.UnixEpoch) };

    [Fact]
    public void TryAdd_when_the_next_record_does_not_fit_returns_false_and_writes_nothing()
    {
        var writer = new DirentWriter(new byte[40], plus: false);
        Assert.True(writer.TryAdd("abcdefgh"u8, File, 1));   // 24 + 8 = 32
        Assert.False(writer.TryAdd("b"u8, File, 2));         // needs 32 more
        Assert.Equal(32, writer.BytesWritten);
        Assert.Equal(1, writer.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    public void TryAdd_refuses_names_the_kernel_would_reject(string name)
    {
        var writer = new DirentWriter(new byte[4096], plus: false);
        Assert.Throws<ArgumentException>(() => writer.TryAdd(System.Text.Encoding.UTF8.GetBytes(name), File, 1));
    }

    [Fact]
    public void TryAdd_refuses_cookie_zero()
    {
        var writer = new DirentWriter(new byte[4096], plus: true);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.TryAdd("a"u8, File, 0));
    }

    [Fact]
    public void Plus_records_of_1024_byte_names_are_padded_to_8()
    {
        var writer = new DirentWriter(new byte[4096], plus: true);
        Assert.True(writer.TryAdd(new byte[1024].Select(_ => (byte)'n').ToArray(), File, 1));
        Assert.Equal((152 + 1024 + 7) & ~7, writer.BytesWritten);
    }
}
