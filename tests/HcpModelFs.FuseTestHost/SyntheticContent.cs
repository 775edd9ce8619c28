using System.Buffers.Binary;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// Deterministic file content as a pure function of (seed, offset), so a 3 GiB file needs no memory and a test can
/// compute the expected bytes or digest of any range independently of the filesystem.
/// </summary>
public static class SyntheticContent
{
    public static void Fill(ulong seed, long offset, Span<byte> destination)
    {
        var position = offset;
        var written = 0;
        Span<byte> word = stackalloc byte[8];
        // Unaligned head, then whole words, then the tail.
        while (written < destination.Length && (position & 7) != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Word(seed, position >> 3));
            destination[written++] = word[(int)(position & 7)];
            position++;
        }

        while (destination.Length - written >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[written..], Word(seed, position >> 3));
            written += 8;
            position += 8;
        }

        if (written < destination.Length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Word(seed, position >> 3));
            word[..(destination.Length - written)].CopyTo(destination[written..]);
        }
    }

    public static byte ByteAt(ulong seed, long offset)
    {
        Span<byte> one = stackalloc byte[1];
        Fill(seed, offset, one);
        return one[0];
    }

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes, as lowercase hex.</summary>
    public static string Sha256Hex(ulong seed, long length)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < length; offset += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, length - offset);
            Fill(seed, offset, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // splitmix64: cheap, well mixed, no state.
    private static ulong Word(ulong seed, long index)
    {
        var z = (seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index + 0x632BE59BD9B4E019UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
