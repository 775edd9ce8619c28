namespace HcpModelFs.Fuse;

/// <summary>The reply to STATFS (<c>struct fuse_kstatfs</c>), in units of <see cref="BlockSize"/>.</summary>
public readonly record struct FuseStatFs
{
    public ulong Blocks { get; init; }

    public ulong BlocksFree { get; init; }

    public ulong BlocksAvailable { get; init; }

    public ulong Files { get; init; }

    public ulong FilesFree { get; init; }

    public uint BlockSize { get; init; }

    public uint NameMax { get; init; }
}
