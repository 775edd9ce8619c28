using HcpModelFs.Core.Transfer;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Writes one file into the store as a multipart upload of block-aligned parts in one pass per byte (<see cref="PartPipeline"/>):
/// each part is read once into a pooled buffer and from that buffer uploaded and, in file order, hashed
/// (<see cref="InOrderHasher"/>). The upload is completed only once the file's verdict (<c>verified</c>) says the bytes
/// match the Hub's metadata, so wrong bytes never become a complete object.
/// </summary>
internal sealed class MultipartWriter(IObjectStore store, PartPipeline pipeline)
{
    /// <summary>Parts are whole blocks (reads through the cache stay aligned), at least 5 MiB (S3's minimum) and at most 10,000 per file.</summary>
    public static long PartSizeFor(long size, int blockSize)
    {
        var blocks = Math.Max((5L << 20) / blockSize + ((5L << 20) % blockSize == 0 ? 0 : 1), 1);
        var needed = (size + (10_000L * blockSize) - 1) / (10_000L * blockSize);
        return Math.Max(blocks, needed) * blockSize;
    }

    /// <param name="file">The file; its progress grows as parts land.</param>
    /// <param name="partSize">From <see cref="PartSizeFor"/>.</param>
    /// <param name="read">Where the bytes come from (the cache, or the Hub directly).</param>
    /// <param name="hasher">This upload's in-order hash, or null when another pass already owns the verdict.</param>
    /// <param name="verified">The verdict the completion waits for (the hasher's, or the other pass's).</param>
    /// <param name="ct">Stops the upload (it is aborted).</param>
    public async Task<ObjectInfo> WriteAsync(IngestFileState file, long partSize, PartFill read, InOrderHasher? hasher, Task<string> verified, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(verified);
        var key = file.File.CacheId.Key;
        var size = file.File.Size;
        var parts = PartPlan.Cut(size, checked((int)partSize));
        var uploadId = await store.CreateMultipartAsync(key, ct);
        file.ResetProgress();
        try
        {
            var etags = await pipeline.RunAsync(
                parts,
                read,
                fillInOrder: false,
                hasher is null ? null : hasher.AppendAsync,
                (part, bytes, token) => store.UploadPartAsync(key, uploadId, part.Number, bytes, token),
                part => file.AddProgress(part.Length),
                ct);
            file.Sha256 = await verified.WaitAsync(ct);
            try
            {
                return await store.CompleteMultipartAsync(key, uploadId, etags, ct);
            }
            catch (StoreException ex) when (ex.Kind == StoreErrorKind.AlreadyExists)
            {
                return await StoreWrites.ExistingOfSizeAsync(store, key, size, ex, ct);
            }
        }
        catch
        {
            // A reader waiting on this upload's verdict runs a pass of its own instead.
            hasher?.Abandon();
            try
            {
                await store.AbortMultipartAsync(key, uploadId, CancellationToken.None);
            }
            catch (StoreException)
            {
                // The next holder aborts what is left over.
            }

            throw;
        }
    }
}
