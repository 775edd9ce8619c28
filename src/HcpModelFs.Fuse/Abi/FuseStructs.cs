using System.Runtime.InteropServices;

namespace HcpModelFs.Fuse.Abi;

// Kernel ABI structs, laid out exactly as in include/uapi/linux/fuse.h (little-endian, x86_64/arm64).
// Sizes are asserted in unit tests (FuseStructsTests) so a wrong field can never slip through silently.
#pragma warning disable CA1051, CA1815 // ABI structs expose plain fields and are never compared.

[StructLayout(LayoutKind.Sequential)]
public struct FuseInHeader
{
    public const int Size = 40;
    public uint Len;
    public uint Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtLen; // 7.38: trailing extension bytes / 8
    public ushort Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseOutHeader
{
    public const int Size = 16;
    public uint Len;
    public int Error;
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseInitIn
{
    public const int Size = 64;
    public const int CompatSize = 16;
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;
    public unsafe fixed uint Unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseInitOut
{
    public const int Size = 64;
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGran;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public ushort RequestTimeout;
    public unsafe fixed ushort Unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseAttr
{
    public const int Size = 88;
    public ulong Ino;
    public ulong FileSize;
    public ulong Blocks;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public uint Rdev;
    public uint BlkSize;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseEntryOut
{
    public const int Size = 128;
    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseAttrOut
{
    public const int Size = 104;
    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenIn
{
    public const int Size = 8;
    public uint Flags;
    public uint OpenFlags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseOpenOut
{
    public const int Size = 16;
    public ulong Fh;
    public uint OpenFlags;
    public int BackingId;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseReadIn
{
    public const int Size = 40;
    public ulong Fh;
    public ulong Offset;
    public uint ReadSize;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseReleaseIn
{
    public const int Size = 24;
    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseGetAttrIn
{
    public const int Size = 16;
    public const uint FhFlag = 1;
    public uint GetAttrFlags;
    public uint Dummy;
    public ulong Fh;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetIn
{
    public const int Size = 8;
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseBatchForgetIn
{
    public const int Size = 8;
    public uint Count;
    public uint Dummy;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseForgetOne
{
    public const int Size = 16;
    public ulong NodeId;
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseInterruptIn
{
    public const int Size = 8;
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseGetXAttrIn
{
    public const int Size = 8;
    public uint XAttrSize;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseGetXAttrOut
{
    public const int Size = 8;
    public uint XAttrSize;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseKStatFs
{
    public const int Size = 80;
    public ulong Blocks;
    public ulong BFree;
    public ulong BAvail;
    public ulong Files;
    public ulong FFree;
    public uint BSize;
    public uint NameLen;
    public uint FrSize;
    public uint Padding;
    public unsafe fixed uint Spare[6];
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseDirent
{
    public const int HeaderSize = 24;
    public ulong Ino;
    public ulong Off;
    public uint NameLen;
    public uint Type;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalInodeOut
{
    public const int Size = 24;
    public ulong Ino;
    public long Off;
    public long Len;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyInvalEntryOut
{
    public const int Size = 16;
    public ulong Parent;
    public uint NameLen;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseNotifyStoreOut
{
    public const int Size = 24;
    public ulong NodeId;
    public ulong Offset;
    public uint DataSize;
    public uint Padding;
}
/// <summary>Argument of FUSE_DEV_IOC_BACKING_OPEN (7.40). Non-zero flags or padding: EINVAL.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseBackingMap
{
    public const int Size = 16;
    public int Fd;
    public uint Flags;
    public ulong Padding;
}
#pragma warning restore CA1051, CA1815
