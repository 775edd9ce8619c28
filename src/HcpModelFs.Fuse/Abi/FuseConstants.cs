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

    public const uint SIfMt = 0xF000;
    public const uint SIfDir = 0x4000;
    public const uint SIfReg = 0x8000;
    public const uint SIfLnk = 0xA000;
}
