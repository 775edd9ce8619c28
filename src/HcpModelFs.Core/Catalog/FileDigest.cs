using System.Buffers;
using System.Security.Cryptography;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Catalog;

/// <summary>SHA-256 of a local file and the CRC32C of each of its blocks, in one pass over the bytes.</summary>
internal static class FileDigest
{
    public static async Task<(long Size, string Sha256, BlockChecksums Blocks)> ComputeAsync(
        string path, int blockSize, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var size = RandomAccess.GetLength(handle);
        var crcs = new uint[(size + blockSize - 1) / blockSize];
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (long block = 0; block < crcs.Length; block++)
            {
                var length = (int)Math.Min(blockSize, size - (block * blockSize));
                var read = 0;
                while (read < length)
                {
                    var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read, length - read), (block * blockSize) + read, cancellationToken);
                    if (n == 0)
                    {
                        throw new IOException($"{path} shrank while it was being hashed.");
                    }

                    read += n;
                }

                sha256.AppendData(buffer, 0, length);
                crcs[block] = Crc32C.Compute(buffer.AsSpan(0, length));
            }

            return (size, Convert.ToHexStringLower(sha256.GetHashAndReset()), BlockChecksums.From(blockSize, crcs));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
