using System.Buffers;
using System.Runtime.ExceptionServices;
using HcpModelFs.Core.Threading;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Ingest;

/// <summary>Fills <paramref name="destination"/> with the file's bytes at <paramref name="offset"/>, exactly.</summary>
internal delegate ValueTask PartReader(long offset, Memory<byte> destination, CancellationToken cancellationToken);

/// <summary>
/// Writes one file into the store as a multipart upload of block-aligned parts in one pass per byte: each part is read
/// once into a pooled buffer and from that buffer uploaded and, in file order, hashed (<see cref="InOrderHasher"/>).
/// The upload is completed only once the file's verdict (<c>verified</c>) says the bytes match the Hub's metadata, so
/// wrong bytes never become a complete object. Parts take their slot in file order, so the part the hasher waits for
/// always holds one (no deadlock between parts waiting for their turn and parts waiting for a slot).
/// </summary>
internal sealed class MultipartWriter(IObjectStore store, SemaphoreSlim partSlots)
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
    public async Task<ObjectInfo> WriteAsync(IngestFileState file, long partSize, PartReader read, InOrderHasher? hasher, Task<string> verified, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(verified);
        var key = file.File.CacheId.Key;
        var size = file.File.Size;
        var count = (int)((size + partSize - 1) / partSize);
        var parts = new PartETag[count];
        var uploadId = await store.CreateMultipartAsync(key, ct);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = new List<Task>(count);
        file.ResetProgress();
        try
        {
            for (var index = 0; index < count; index++)
            {
                await partSlots.WaitAsync(failed.Token);
                running.Add(PartAsync(file, uploadId, index, partSize, read, hasher, parts, failed));
            }

            await Task.WhenAll(running);
            file.Sha256 = await verified.WaitAsync(ct);
            try
            {
                return await store.CompleteMultipartAsync(key, uploadId, parts, ct);
            }
            catch (StoreException ex) when (ex.Kind == StoreErrorKind.AlreadyExists)
            {
                return await StoreWrites.ExistingOfSizeAsync(store, key, size, ex, ct);
            }
        }
        catch (Exception ex)
        {
            await failed.CancelAsync();
            hasher?.Abandon();
            await Task.WhenAll(running).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                await store.AbortMultipartAsync(key, uploadId, CancellationToken.None);
            }
            catch (StoreException)
            {
                // The next holder aborts what is left over.
            }

            // The loop sees the cancellation a failed part caused: report the part's failure, not the cancellation.
            if (ex is OperationCanceledException && !ct.IsCancellationRequested && TaskFailures.FirstCause(running) is { } cause)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    private async Task PartAsync(IngestFileState file, string uploadId, int index, long partSize, PartReader read, InOrderHasher? hasher, PartETag[] parts, CancellationTokenSource failed)
    {
        var offset = index * partSize;
        var length = (int)Math.Min(partSize, file.File.Size - offset);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var token = failed.Token;
        try
        {
            var part = buffer.AsMemory(0, length);
            await read(offset, part, token);
            var hashing = hasher?.AppendAsync(index, part, token) ?? Task.CompletedTask;
            parts[index] = await store.UploadPartAsync(file.File.CacheId.Key, uploadId, index + 1, part, token);
            await hashing;
            file.AddProgress(length);
        }
        catch
        {
            // The first failure stops the other parts: the upload is aborted as a whole.
            await failed.CancelAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            partSlots.Release();
        }
    }
}
