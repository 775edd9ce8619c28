using System.Buffers;

namespace HcpModelFs.Fuse.Session;

/// <summary>
/// ArrayPool with a count of buffers currently out, so tests can assert that every request returned what it rented.
/// </summary>
public sealed class BufferPool
{
    private long _outstanding;

    public static BufferPool Shared { get; } = new();

    public long Outstanding => Interlocked.Read(ref _outstanding);

    public byte[] Rent(int minimumLength)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(minimumLength);
        Interlocked.Increment(ref _outstanding);
        return buffer;
    }

    public void Return(byte[] buffer)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Decrement(ref _outstanding);
    }
}
