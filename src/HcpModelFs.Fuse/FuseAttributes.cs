using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse;

/// <summary>Attributes of an inode as the kernel sees them (<c>struct fuse_attr</c>).</summary>
public readonly record struct FuseAttributes
{
    public ulong Ino { get; init; }

    public long Size { get; init; }

    /// <summary>Unix mode: file type bits and permission bits, e.g. 0o100444.</summary>
    public uint Mode { get; init; }

    public uint NLink { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>Preferred I/O size reported as st_blksize; cat and cp size their reads from it.</summary>
    public uint BlockSize { get; init; }

    public DateTimeOffset ModifiedTime { get; init; }

    public bool IsDirectory => (Mode & FuseConstants.SIfMt) == FuseConstants.SIfDir;

    public static FuseAttributes Directory(ulong ino, DateTimeOffset mtime, uint permissions = 0x16D /* 0555 */) => new()
    {
        Ino = ino,
        Mode = FuseConstants.SIfDir | permissions,
        NLink = 2,
        BlockSize = 4096,
        ModifiedTime = mtime,
    };

    public static FuseAttributes File(ulong ino, long size, DateTimeOffset mtime, uint permissions = 0x124 /* 0444 */) => new()
    {
        Ino = ino,
        Size = size,
        Mode = FuseConstants.SIfReg | permissions,
        NLink = 1,
        BlockSize = 1 << 20,
        ModifiedTime = mtime,
    };
}
