using System.Buffers;

namespace HcpModelFs.Fuse.Session;

/// <summary>
/// The session's reply and request buffers, with a count of buffers currently out, so tests can assert that every
/// request returned what it rented.
/// </summary>
/// <remarks>
/// A pool of its own rather than <see cref="ArrayPool{T}.Shared"/>: the shared pool keeps up to 32 arrays per size per
/// core plus one per thread, trims them on a timer and allocates anew when its stacks are empty. With 1 MiB READ
/// replies that churn lands on the large-object heap, which fragments: in bench/soak the daemon's RSS kept growing
/// (205 -> 397 MiB in 200 s, 208 -> 735 MiB in 10 minutes) with the live heap flat. This pool keeps what it has, up to
/// <see cref="MaxRetainedPerSize"/> buffers per size class, so after warm-up a READ allocates nothing.
/// </remarks>
public sealed class BufferPool
{
    /// <summary>Buffers kept per size class: the READs in flight on a busy mount (reader threads + background ones).</summary>
    public const int MaxRetainedPerSize = 48;

    // 1 MiB is the largest READ the kernel sends (max_pages 256); larger buffers (rare: big listings, xattrs) are
    // allocated and dropped.
    private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create(1 << 20, MaxRetainedPerSize);
    private long _outstanding;

    public static BufferPool Shared { get; } = new();

    public long Outstanding => Interlocked.Read(ref _outstanding);

    public byte[] Rent(int minimumLength)
    {
        var buffer = _pool.Rent(minimumLength);
        Interlocked.Increment(ref _outstanding);
        return buffer;
    }

    public void Return(byte[] buffer)
    {
        _pool.Return(buffer);
        Interlocked.Decrement(ref _outstanding);
    }
}
