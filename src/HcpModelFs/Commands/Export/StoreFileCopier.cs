using System.Buffers;
using System.Security.Cryptography;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Naming;
using HcpModelFs.Store;

namespace HcpModelFs.Commands.Export;

/// <summary>
/// Copies one file out of the store with ranged GETs, a few blocks in flight, written in order to a temporary name and
/// renamed into place only when every block matched its manifest CRC32C and the whole file its sha256 and size.
/// Straight from the store, not through the block cache: an export writes each byte once to its destination, where the
/// cache would write it twice and need room for the whole model.
/// </summary>
internal sealed class StoreFileCopier(IObjectStore store, int blocksInFlight)
{
    private const int DefaultBlockSize = 8 << 20;

    /// <summary>The copied file's sha256 and git blob sha1 (what the Hugging Face cache names non-LFS blobs by).</summary>
    public async Task<(string Sha256, string GitSha1)> CopyAsync(RevisionFile file, string temporaryPath, string finalPath, Action<long> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(progress);
        try
        {
            var digests = await WriteAsync(file, temporaryPath, progress, ct);
            File.Move(temporaryPath, finalPath, overwrite: true);
            return digests;
        }
        finally
        {
            File.Delete(temporaryPath);
        }
    }

    /// <summary>Copies into <paramref name="temporaryPath"/> and returns the digests; the caller picks the final name.</summary>
    public async Task<(string Sha256, string GitSha1)> WriteAsync(RevisionFile file, string temporaryPath, Action<long> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(progress);
        var id = file.CacheId;
        var blockSize = id.Blocks?.BlockSize ?? DefaultBlockSize;
        var crcs = id.Blocks?.Decode(id.Size, blockSize);
        var expectedETag = ModelName.IsCommitSha(id.ETag) ? null : id.ETag;
        var blocks = (id.Size + blockSize - 1) / blockSize;

        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
#pragma warning disable CA5350 // git names blobs by SHA-1: an identity the Hugging Face cache layout requires, not security
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
        sha1.AppendData(System.Text.Encoding.ASCII.GetBytes(FormattableString.Invariant($"blob {id.Size}\0")));

        await using var output = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        var window = new Queue<(Task Read, byte[] Buffer, int Length)>();
        long next = 0;
        try
        {
            for (long block = 0; block < blocks; block++)
            {
                while (next < blocks && window.Count < blocksInFlight)
                {
                    var length = (int)Math.Min(blockSize, id.Size - (next * blockSize));
                    var buffer = ArrayPool<byte>.Shared.Rent(length);
                    window.Enqueue((store.ReadRangeAsync(id.Key, next * blockSize, buffer.AsMemory(0, length), expectedETag, ct).AsTask(), buffer, length));
                    next++;
                }

                var (read, data, count) = window.Dequeue();
                try
                {
                    await read;
                    var bytes = data.AsMemory(0, count);
                    if (crcs is not null && Crc32C.Compute(bytes.Span) != crcs[block])
                    {
                        throw new ExportVerificationException($"{file.Path}: block {block} does not match its CRC32C in the manifest");
                    }

                    sha256.AppendData(bytes.Span);
                    sha1.AppendData(bytes.Span);
                    await output.WriteAsync(bytes, ct);
                    progress(count);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(data);
                }
            }

            // fsync before the rename, so a crash never leaves a final name on unwritten bytes. Flush(true) is the only
            // fsync FileStream offers; it blocks once per file, after the file's last write.
#pragma warning disable CA1849
            output.Flush(flushToDisk: true);
#pragma warning restore CA1849
        }
        finally
        {
            while (window.TryDequeue(out var pending))
            {
                await pending.Read.ContinueWith(_ => ArrayPool<byte>.Shared.Return(pending.Buffer), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }

        var digest = Convert.ToHexStringLower(sha256.GetHashAndReset());
        if (id.Sha256 is { } expected && !string.Equals(expected, digest, StringComparison.Ordinal))
        {
            throw new ExportVerificationException($"{file.Path}: sha256 {digest} does not match the manifest's {expected}");
        }

        if (output.Length != id.Size)
        {
            throw new ExportVerificationException($"{file.Path}: {output.Length} bytes written, the manifest says {id.Size}");
        }

        return (digest, Convert.ToHexStringLower(sha1.GetHashAndReset()));
    }
}
