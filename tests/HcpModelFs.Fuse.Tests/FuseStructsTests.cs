using System.Runtime.CompilerServices;
using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Tests;

/// <summary>Every ABI struct has exactly the kernel's size (fuse_kernel.h / fuse-protocol.md §6).</summary>
public sealed class FuseStructsTests
{
    [Fact]
    public void Abi_structs_have_the_kernel_sizes()
    {
        Assert.Equal(40, Unsafe.SizeOf<FuseInHeader>());
        Assert.Equal(16, Unsafe.SizeOf<FuseOutHeader>());
        Assert.Equal(64, Unsafe.SizeOf<FuseInitIn>());
        Assert.Equal(64, Unsafe.SizeOf<FuseInitOut>());
        Assert.Equal(88, Unsafe.SizeOf<FuseAttr>());
        Assert.Equal(128, Unsafe.SizeOf<FuseEntryOut>());
        Assert.Equal(104, Unsafe.SizeOf<FuseAttrOut>());
        Assert.Equal(8, Unsafe.SizeOf<FuseOpenIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseOpenOut>());
        Assert.Equal(40, Unsafe.SizeOf<FuseReadIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseReleaseIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseGetAttrIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseForgetIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseBatchForgetIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseForgetOne>());
        Assert.Equal(8, Unsafe.SizeOf<FuseInterruptIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseGetXAttrIn>());
        Assert.Equal(8, Unsafe.SizeOf<FuseGetXAttrOut>());
        Assert.Equal(80, Unsafe.SizeOf<FuseKStatFs>());
        Assert.Equal(16, Unsafe.SizeOf<FuseBackingMap>());
        Assert.Equal(24, Unsafe.SizeOf<FuseDirent>());
        Assert.Equal(24, Unsafe.SizeOf<FuseNotifyInvalInodeOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseNotifyInvalEntryOut>());
        Assert.Equal(24, Unsafe.SizeOf<FuseNotifyStoreOut>());
    }

    [Fact]
    public void Declared_size_constants_match_the_layouts()
    {
        Assert.Equal(FuseInHeader.Size, Unsafe.SizeOf<FuseInHeader>());
        Assert.Equal(FuseEntryOut.Size, Unsafe.SizeOf<FuseEntryOut>());
        Assert.Equal(FuseAttrOut.Size, Unsafe.SizeOf<FuseAttrOut>());
        Assert.Equal(FuseKStatFs.Size, Unsafe.SizeOf<FuseKStatFs>());
        Assert.Equal(FuseReadIn.Size, Unsafe.SizeOf<FuseReadIn>());
    }

    [Fact]
    public void Passthrough_ioctl_numbers_match_fuse_h()
    {
        // The values printed by a C program including <linux/fuse.h> (fuse-protocol.md §1).
        Assert.Equal(0x4010E501ul, FuseConstants.DevIocBackingOpen);
        Assert.Equal(0x4004E502ul, FuseConstants.DevIocBackingClose);
    }
}
