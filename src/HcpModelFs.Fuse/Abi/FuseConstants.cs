namespace HcpModelFs.Fuse.Abi;

/// <summary>Protocol constants that are not opcodes or flags.</summary>
public static class FuseConstants
{
    public const uint KernelMajor = 7;

    /// <summary>The minor version we implement: 7.38 is what Debian 12's kernel speaks; newer kernels use min(theirs, ours).</summary>
    public const uint KernelMinor = 38;

    public const ulong RootNodeId = 1;

    /// <summary>FUSE_MIN_READ_BUFFER: a /dev/fuse read with a smaller buffer fails EINVAL.</summary>
    public const int MinReadBuffer = 8192;

    public const ulong DevIocClone = 0x8004E500;

    // Passthrough ioctls on a /dev/fuse descriptor (6.9, protocol 7.40), from include/uapi/linux/fuse.h:
    //   _IOW(type, nr, size) = (1 << 30 /* _IOC_WRITE */) | (size << 16) | (type << 8) | nr, type = FUSE_DEV_IOC_MAGIC 229.

    /// <summary>FUSE_DEV_IOC_BACKING_OPEN = _IOW(229, 1, struct fuse_backing_map /* 16 bytes */); returns the backing id.</summary>
    public const ulong DevIocBackingOpen = (1UL << 30) | (16UL << 16) | (229UL << 8) | 1; // 0x4010E501

    /// <summary>FUSE_DEV_IOC_BACKING_CLOSE = _IOW(229, 2, uint32_t /* backing id */).</summary>
    public const ulong DevIocBackingClose = (1UL << 30) | (4UL << 16) | (229UL << 8) | 2; // 0x4004E502

    /// <summary>
    /// max_stack_depth we answer INIT with when granting passthrough: backing files live on a non-stacked filesystem
    /// (ext4/xfs cache disk), and our mount may itself be an overlayfs lower layer. 0 makes the kernel refuse passthrough.
    /// </summary>
    public const uint PassthroughMaxStackDepth = 1;

    public const uint SIfMt = 0xF000;
    public const uint SIfDir = 0x4000;
    public const uint SIfReg = 0x8000;
    public const uint SIfLnk = 0xA000;
}
