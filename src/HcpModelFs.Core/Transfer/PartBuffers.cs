using System.Buffers;

namespace HcpModelFs.Core.Transfer;

/// <summary>
/// The part buffers of one <see cref="PartPipeline"/> (an import, or a daemon's ingests): at most <see cref="Count"/>
/// rented at once, whatever the number of files in flight, so memory stays at about Count × part size. A rented buffer is filled from the source, uploaded and hashed
/// from the same memory, then returned.
/// </summary>
public sealed class PartBuffers : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxPartSize;
    private volatile ArrayPool<byte> _pool;

    public PartBuffers(int count, int maxPartSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _slots = new SemaphoreSlim(count, count);
        _maxPartSize = maxPartSize;
        // Own pool: the shared one keeps few arrays this large per core and would allocate afresh under load.
        _pool = ArrayPool<byte>.Create(maxPartSize, count);
    }

    public int Count { get; }

    /// <summary>Slots not rented now.</summary>
    public int Free => _slots.CurrentCount;

    /// <summary>A buffer of at least <paramref name="length"/> bytes once one of the slots is free.</summary>
    public async Task<Lease> RentAsync(int length, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return new Lease(this, _pool.Rent(length), length);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    /// <summary>
    /// Lets the garbage collector have the pooled buffers when none is rented (an ingest ended): unlike the shared
    /// pool, this one never trims itself, and an idle daemon would keep up to Count × part size. Buffers rented later
    /// come from a fresh pool; ones still out go back to it.
    /// </summary>
    public void Trim()
    {
        if (_slots.CurrentCount == Count)
        {
            _pool = ArrayPool<byte>.Create(_maxPartSize, Count);
        }
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>A rented buffer; disposing it gives the slot back.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly PartBuffers _owner;
        private byte[]? _array;

        internal Lease(PartBuffers owner, byte[] array, int length)
        {
            _owner = owner;
            _array = array;
            Memory = array.AsMemory(0, length);
        }

        public Memory<byte> Memory { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                _owner._pool.Return(array);
                _owner._slots.Release();
            }
        }
    }
}
