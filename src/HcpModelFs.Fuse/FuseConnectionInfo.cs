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
}
