using HcpModelFs.Fuse.Mounting;

namespace HcpModelFs.Fuse.Tests;

public sealed class MountTableTests
{
    [Fact]
    public void Parse_reads_device_mount_point_type_and_unescapes_octal()
    {
        const string Text =
            "22 1 0:21 / /proc rw,nosuid - proc proc rw\n" +
            "42 27 0:39 / /tmp/with\\040space\\134x ro,nosuid,nodev,relatime shared:1 - fuse.hcpmodelfs hcpmodelfs ro,user_id=0\n";
        var entries = MountTable.Parse(Text);
        Assert.Equal(2, entries.Count);
        var fuse = entries[1];
        Assert.Equal((0, 39), (fuse.Major, fuse.Minor));
        Assert.Equal("/tmp/with space\\x", fuse.MountPoint);
        Assert.Equal("fuse.hcpmodelfs", fuse.FileSystemType);
        Assert.True(MountTable.IsFuse(fuse));
        Assert.False(MountTable.IsFuse(entries[0]));
    }

    [Fact]
    public void Connection_id_is_the_superblock_dev_t()
    {
        var entry = new MountInfoEntry(0, 39, "/m", "fuse", "x");
        Assert.Equal("39", FuseMounter.ConnectionId(entry));
        Assert.Equal(((1 << 20) | 7).ToString(System.Globalization.CultureInfo.InvariantCulture), FuseMounter.ConnectionId(new MountInfoEntry(1, 7, "/m", "fuse", "x")));
    }
}
