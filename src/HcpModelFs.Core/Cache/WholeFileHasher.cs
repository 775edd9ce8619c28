using System.Buffers;
using System.Security.Cryptography;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// SHA-256 of a complete cached object, read back from its data file. Only for objects without per-block checksums
/// from the manifest: it costs a second pass over every byte.
/// </summary>
internal static class WholeFileHasher
{
    private const int ChunkSize = 1024 * 1024;

    /// <summary>Lowercase hex SHA-256 of the first <paramref name="size"/> bytes; throws if the file is shorter.</summary>
    public static string Hash(CachedObject data, long size, ArrayPool<byte> pool, CancellationToken cancellationToken)
    {
        var buffer = pool.Rent(ChunkSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long position = 0;
            while (position < size)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = (int)Math.Min(ChunkSize, size - position);
                if (!data.TryReadExactly(buffer.AsSpan(0, count), position))
                {
                    throw new IOException($"Cache data file {data.DataPath} is shorter than the object.");
                }

                hash.AppendData(buffer, 0, count);
                position += count;
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            pool.Return(buffer);
        }
    }
}
