using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Session;

/// <summary>An async request in flight: its copied bytes, where its reply goes, and whether that reply has left.</summary>
internal sealed class RequestState
{
    private int _replied;

    public RequestState(byte[] buffer, int bodyEnd, FuseInHeader header, IFuseReplySink sink, CancellationTokenSource cancellation, long started)
    {
        Started = started;
        Buffer = buffer;
        Body = buffer.AsMemory(FuseInHeader.Size, bodyEnd - FuseInHeader.Size);
        Header = header;
        Sink = sink;
        Cancellation = cancellation;
    }

    public byte[] Buffer { get; }

    /// <summary>Stopwatch timestamp of the request's arrival (for the latency histogram).</summary>
    public long Started { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public FuseInHeader Header { get; }

    public IFuseReplySink Sink { get; }

    public CancellationTokenSource Cancellation { get; }

    public NodeId Node => new(Header.NodeId);

    public FuseRequestContext Context => new(Header.Unique, Header.Uid, Header.Gid, Header.Pid);

    public bool Replied => Volatile.Read(ref _replied) != 0;

    public bool TryMarkReplied() => Interlocked.Exchange(ref _replied, 1) == 0;

    /// <summary>The NUL-terminated name starting at <paramref name="offset"/> in the body, without its terminator.</summary>
    public ReadOnlyMemory<byte> NameAt(int offset)
    {
        if (offset >= Body.Length)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var rest = Body[offset..];
        var end = rest.Span.IndexOf((byte)0);
        return end < 0 ? rest : rest[..end];
    }
}
