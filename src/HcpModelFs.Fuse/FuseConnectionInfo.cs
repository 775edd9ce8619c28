using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse;

/// <summary>What INIT negotiated with the kernel.</summary>
public sealed record FuseConnectionInfo
{
    public uint ProtocolMajor { get; init; }

    public uint ProtocolMinor { get; init; }

    /// <summary>The capabilities both sides agreed on.</summary>
    public FuseInitFlags Flags { get; init; }

    /// <summary>The largest READ the kernel will send, in bytes (max_pages x 4 KiB).</summary>
    public int MaxReadSize { get; init; }

    public uint MaxReadahead { get; init; }

    public ushort MaxBackground { get; init; }

    /// <summary>Whether INIT granted FUSE_PASSTHROUGH (7.40): OPEN may be answered with a backing id.</summary>
    public bool Passthrough => (Flags & FuseInitFlags.Passthrough) != 0;

    /// <summary>
    /// Registers local files for passthrough opens. Always present; <see cref="IFuseBackingFiles.IsAvailable"/> is
    /// false (and Open answers ENOSYS) when passthrough was not granted.
    /// </summary>
    public IFuseBackingFiles BackingFiles { get; init; } = Session.FuseBackingFiles.Unavailable;
}
