using System.Buffers.Binary;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// CRC32C of every <see cref="BlockSize"/>-byte block of a file as it was uploaded or ingested, recorded in the
/// manifest, so a block fetched later is checked end to end in the pass that computes its CRC anyway (no whole-file
/// re-read). <see cref="Crc32C"/> is base64 of the little-endian 32-bit values, one per block.
/// </summary>
public sealed record BlockChecksums(int BlockSize, string Crc32C)
{
    /// <summary>Encodes per-block CRCs.</summary>
    public static BlockChecksums From(int blockSize, ReadOnlySpan<uint> crcs)
    {
        var bytes = new byte[crcs.Length * 4];
        for (var i = 0; i < crcs.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), crcs[i]);
        }

        return new BlockChecksums(blockSize, Convert.ToBase64String(bytes));
    }

    /// <summary>The CRCs when they describe <paramref name="size"/> bytes in blocks of <paramref name="blockSize"/>; else null.</summary>
    public uint[]? Decode(long size, int blockSize)
    {
        if (blockSize != BlockSize)
        {
            return null;
        }

        var count = (size + blockSize - 1) / blockSize;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(Crc32C);
        }
        catch (FormatException)
        {
            return null;
        }

        if (bytes.Length != count * 4)
        {
            return null;
        }

        var crcs = new uint[count];
        for (var i = 0; i < crcs.Length; i++)
        {
            crcs[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        }

        return crcs;
    }
}
