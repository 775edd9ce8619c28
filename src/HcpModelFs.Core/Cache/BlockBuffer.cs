using System.Runtime.InteropServices;
using HcpModelFs.Core.Native;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// One block's bytes in memory, page-aligned (for O_DIRECT) and reference-counted: the fetch that filled it, the
/// resident slot that serves later readers, and each reader copying out hold a reference; the last one returns it.
/// </summary>
internal sealed class BlockBuffer
{
    private readonly byte[] _array;
    private readonly int _offset;
    private readonly BlockBufferPool _pool;
    private int _references;
    private int _served;

    public BlockBuffer(int capacity, BlockBufferPool pool)
    {
        // Pinned, so the address (and thus the alignment) never changes.
        _array = GC.AllocateUninitializedArray<byte>(capacity + DirectIo.Alignment, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0).ToInt64();
        _offset = (int)((DirectIo.Alignment - (address % DirectIo.Alignment)) % DirectIo.Alignment);
        Capacity = capacity;
        _pool = pool;
    }

    public int Capacity { get; }

    /// <summary>Bytes in use (the block's length).</summary>
    public int Length { get; private set; }

    public Memory<byte> Memory => _array.AsMemory(_offset, Length);

    public Span<byte> Span => _array.AsSpan(_offset, Length);

    /// <summary>Readies a pooled buffer for a new block: one reference, owned by the caller.</summary>
    public BlockBuffer Reset(int length)
    {
        Length = length;
        Volatile.Write(ref _served, 0);
        Volatile.Write(ref _references, 1);
        return this;
    }

    /// <summary>Whether readers have been served at least the block's length from this buffer (read once, likely done).</summary>
    public bool FullyServed => Volatile.Read(ref _served) >= Length;

    public void AddServed(int bytes) => Interlocked.Add(ref _served, bytes);

    /// <summary>Takes a reference unless the buffer is already on its way back to the pool.</summary>
    public bool TryRetain()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _pool.Return(this);
        }
    }
}
