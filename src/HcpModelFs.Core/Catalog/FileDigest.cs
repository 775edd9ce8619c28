using System.Buffers;
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
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            using var digest = new OrderedDigest(size, blockSize);
            for (long offset = 0; offset < size; offset += blockSize)
            {
                var length = (int)Math.Min(blockSize, size - offset);
                var read = 0;
                while (read < length)
                {
                    var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read, length - read), offset + read, cancellationToken);
                    if (n == 0)
                    {
                        throw new IOException($"{path} shrank while it was being hashed.");
                    }

                    read += n;
                }

                digest.Append(buffer.AsSpan(0, length));
            }

            var (sha256, blocks, _) = digest.Finish();
            return (size, sha256, blocks);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
