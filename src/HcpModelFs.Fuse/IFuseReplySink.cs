namespace HcpModelFs.Fuse;

/// <summary>
/// Where replies for requests read from one /dev/fuse descriptor go. The session's byte-level core writes through
/// this so that tests can capture replies without a kernel.
/// </summary>
public interface IFuseReplySink
{
    /// <summary>Writes one whole message; returns the errno of the write (ENOENT: the kernel stopped waiting).</summary>
    Errno Send(ReadOnlySpan<byte> message);

    /// <summary>Writes header and payload as one message (a gathered write).</summary>
    Errno Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload);
}
