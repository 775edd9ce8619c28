namespace HcpModelFs.Core.Cache;

/// <summary>
/// One bit per block. Reads are lock-free (the read path checks bits without locking); writers flip bits atomically,
/// so a reader sees a bit set only after everything the writer did before setting it.
/// </summary>
internal sealed class BlockBitmap
{
    private readonly ulong[] _words;

    public BlockBitmap(long count)
    {
        Count = count;
        _words = new ulong[(count + 63) / 64];
    }

    public long Count { get; }

    public bool Get(long index) => (Volatile.Read(ref _words[index >> 6]) & (1UL << (int)(index & 63))) != 0;

    /// <summary>Sets the bit; returns whether it was clear before.</summary>
    public bool Set(long index)
    {
        var mask = 1UL << (int)(index & 63);
        return (Interlocked.Or(ref _words[index >> 6], mask) & mask) == 0;
    }

    /// <summary>Clears the bit; returns whether it was set before.</summary>
    public bool Clear(long index)
    {
        var mask = 1UL << (int)(index & 63);
        return (Interlocked.And(ref _words[index >> 6], ~mask) & mask) != 0;
    }

    public void ClearAll()
    {
        for (var i = 0; i < _words.Length; i++)
        {
            Volatile.Write(ref _words[i], 0);
        }
    }

    /// <summary>The first clear bit in [<paramref name="from"/>, <paramref name="to"/>), or -1: a word at a time.</summary>
    public long FirstClear(long from, long to)
    {
        to = Math.Min(to, Count);
        var index = from;
        while (index < to)
        {
            var word = ~Volatile.Read(ref _words[index >> 6]) >> (int)(index & 63);
            if (word != 0)
            {
                var found = index + System.Numerics.BitOperations.TrailingZeroCount(word);
                return found < to ? found : -1;
            }

            index = (index | 63) + 1;
        }

        return -1;
    }

    /// <summary>Whether every bit is set.</summary>
    public bool AllSet() => FirstClear(0, Count) < 0;

    public void SetAll()
    {
        for (long i = 0; i < Count; i++)
        {
            Set(i);
        }
    }
}
