namespace HcpModelFs.Fuse;

/// <summary>
/// Bytes a filesystem lends for a READ reply instead of copying them into the session's buffer: the session writes
/// them to the kernel (one gathered write with the header) and then calls <see cref="Release"/>. The release is a
/// static callback plus its state, so a lent READ allocates nothing.
/// </summary>
public readonly struct FuseReadLease
{
    private readonly Action<object>? _release;
    private readonly object? _state;

    public FuseReadLease(ReadOnlyMemory<byte> data, Action<object> release, object state)
    {
        Data = data;
        _release = release;
        _state = state;
    }

    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Gives the bytes back; called exactly once by the session, after the reply was written.</summary>
    public void Release() => _release?.Invoke(_state!);
}
