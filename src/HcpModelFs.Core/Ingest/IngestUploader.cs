using System.Buffers;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Writes one verified file's bytes into the store: a single PUT for a small file, a multipart upload of block-aligned
/// parts read from the cache otherwise, completed only once the in-order hash has matched. An object another writer
/// completed first with the same size counts as this file (its content is fixed by the commit).
/// </summary>
internal sealed class IngestUploader(IObjectStore store, int partsInFlight, SemaphoreSlim partSlots, IngestVerifier verifier)
{
    private readonly IObjectStore _store = store;
    private readonly int _partsInFlight = partsInFlight;
    private readonly SemaphoreSlim _partSlots = partSlots;
    private readonly IngestVerifier _verifier = verifier;

    /// <summary>Parts are whole blocks (reads through the cache stay aligned), at least 5 MiB (S3's minimum) and at most 10,000 per file.</summary>
    public static long PartSizeFor(long size, int blockSize)
    {
        var blocks = Math.Max((5L << 20) / blockSize + ((5L << 20) % blockSize == 0 ? 0 : 1), 1);
        var needed = (size + (10_000L * blockSize) - 1) / (10_000L * blockSize);
        return Math.Max(blocks, needed) * blockSize;
    }

    public async Task<ObjectInfo> UploadMultipartAsync(IngestFileState file, long partSize, Task<string> verified, CancellationToken ct)
    {
        var key = file.File.CacheId.Key;
        var size = file.File.Size;
        var count = (int)((size + partSize - 1) / partSize);
        var uploadId = await _store.CreateMultipartAsync(key, ct);
        try
        {
            var parts = new PartETag[count];
            file.ResetProgress();
            await Parallel.ForEachAsync(
                Enumerable.Range(0, count),
                new ParallelOptions { MaxDegreeOfParallelism = _partsInFlight, CancellationToken = ct },
                async (index, token) =>
                {
                    var offset = index * partSize;
                    var length = (int)Math.Min(partSize, size - offset);
                    await _partSlots.WaitAsync(token);
                    var buffer = ArrayPool<byte>.Shared.Rent(length);
                    try
                    {
                        await _verifier.ReadAsync(file, offset, buffer.AsMemory(0, length), token);
                        parts[index] = await _store.UploadPartAsync(key, uploadId, index + 1, buffer.AsMemory(0, length), token);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        _partSlots.Release();
                    }

                    file.AddProgress(length);
                });

            // The commit of this object waits for the in-order hash: wrong bytes never become a complete object.
            file.Sha256 = await verified.WaitAsync(ct);
            try
            {
                return await _store.CompleteMultipartAsync(key, uploadId, parts, ct);
            }
            catch (StoreException ex) when (ex.Kind == StoreErrorKind.AlreadyExists)
            {
                return await ExistingOfSizeAsync(key, size, ex, ct);
            }
        }
        catch
        {
            try
            {
                await _store.AbortMultipartAsync(key, uploadId, CancellationToken.None);
            }
            catch (StoreException)
            {
                // The next holder aborts what is left over.
            }

            throw;
        }
    }

    public async Task<ObjectInfo> PutOnceAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        try
        {
            return await _store.PutAsync(key, content, ct);
        }
        catch (StoreException ex) when (ex.Kind == StoreErrorKind.AlreadyExists)
        {
            // HCP: another writer (a previous holder) completed it first; its content is fixed by the commit.
            return await ExistingOfSizeAsync(key, content.Length, ex, ct);
        }
    }

    private async Task<ObjectInfo> ExistingOfSizeAsync(string key, long size, StoreException refusal, CancellationToken ct)
    {
        var existing = await _store.HeadAsync(key, ct);
        return existing is not null && existing.Size == size ? existing : throw refusal;
    }
}
