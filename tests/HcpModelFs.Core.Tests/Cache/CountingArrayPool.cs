using System.Buffers;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>An <see cref="ArrayPool{T}"/> over the shared pool that counts rentals and what is still out.</summary>
internal sealed class CountingArrayPool : ArrayPool<byte>
{
    private int _rentals;
    private int _outstanding;

    public int Rentals => Volatile.Read(ref _rentals);

    public int Outstanding => Volatile.Read(ref _outstanding);

    public override byte[] Rent(int minimumLength)
    {
        Interlocked.Increment(ref _rentals);
        Interlocked.Increment(ref _outstanding);
        return Shared.Rent(minimumLength);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        Interlocked.Decrement(ref _outstanding);
        Shared.Return(array, clearArray);
    }
}
