using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Import;

/*
 * Copies one file: each part is filled from the source into a pooled buffer, then uploaded as a multipart part and
 * fed to the in-order digest from that same buffer (no temp file, no second read). A file of one part, or any file
 * when the destination refuses multipart, is one PUT. A failed part cancels the file's other parts and aborts its
 * upload; the digest is the file's manifest entry.
 */
internal sealed class FileCopier(IObjectStore destination, PartBuffers buffers, int partSize, int blockSize, IProgress<long>? progress)
{
    private long _copied;

    /// <summary>Bytes read from a source and written to the destination so far.</summary>
    public long CopiedBytes => Interlocked.Read(ref _copied);

    public async Task<ManifestFile> CopyAsync(SourceFile file, IPartSource source, string key, CancellationToken cancellationToken)
    {
        var parts = PartPlan.For(file.Size, partSize);
        using var digest = new OrderedDigest(file.Size, blockSize);
        ObjectInfo info;
        if (parts.Count <= 1 || !destination.Capabilities.MultipartSupported)
        {
            info = await PutWholeAsync(file, parts, source, digest, key, cancellationToken);
        }
        else
        {
            var uploadId = await destination.CreateMultipartAsync(key, cancellationToken);
            try
            {
                var etags = await RunPartsAsync(parts, source, digest,
                    (part, bytes, ct) => destination.UploadPartAsync(key, uploadId, part.Number, bytes, ct), cancellationToken);
                info = await destination.CompleteMultipartAsync(key, uploadId, etags, cancellationToken);
            }
            catch
            {
                await AbortQuietlyAsync(key, uploadId);
                throw;
            }
        }

        if (info.Size != file.Size)
        {
            throw new StoreException(StoreErrorKind.Truncated, $"{key}: store has {info.Size} bytes after upload, expected {file.Size}.");
        }

        var (sha256, blocks, _) = digest.Finish();
        return new ManifestFile(file.Path, file.Size, sha256, info.ETag, blocks);
    }

    /// <summary>The manifest entry of an object already in the destination (a run killed before its receipt): read, hashed, not copied.</summary>
    public async Task<ManifestFile> DigestExistingAsync(string path, ObjectInfo existing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(existing);
        using var digest = new OrderedDigest(existing.Size, blockSize);
        using var source = new RangedPartSource(destination, existing.Key, existing.ETag, existing.Key);
        await RunPartsAsync(PartPlan.For(existing.Size, partSize), source, digest, upload: null, cancellationToken);
        var (sha256, blocks, _) = digest.Finish();
        return new ManifestFile(path, existing.Size, sha256, existing.ETag, blocks);
    }

    private async Task<ObjectInfo> PutWholeAsync(SourceFile file, IReadOnlyList<FilePart> parts, IPartSource source, OrderedDigest digest,
        string key, CancellationToken cancellationToken)
    {
        if (file.Size > PartPlan.MaxPartSize)
        {
            throw new StoreException(StoreErrorKind.NotSupported,
                $"{key}: the destination refuses multipart uploads and {file.Size} bytes is more than one PUT of at most {PartPlan.MaxPartSize} bytes from memory");
        }

        using var lease = await buffers.RentAsync((int)file.Size, cancellationToken);
        foreach (var part in parts)
        {
            var slice = lease.Memory.Slice((int)part.Offset, part.Length);
            await source.FillAsync(part, slice, cancellationToken);
            await digest.AppendAsync(part.Number - 1, slice, cancellationToken);
        }

        var info = await destination.PutAsync(key, lease.Memory, cancellationToken);
        Done(file.Size, copied: true);
        return info;
    }

    /// <summary>
    /// Fills, uploads and hashes every part with at most the pool's buffers in flight. Buffers are taken in part
    /// order, so the part the digest waits for always holds one: no wait can close a cycle.
    /// </summary>
    private async Task<PartETag[]> RunPartsAsync(IReadOnlyList<FilePart> parts, IPartSource source, OrderedDigest digest,
        Func<FilePart, ReadOnlyMemory<byte>, CancellationToken, Task<PartETag>>? upload, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task<PartETag>>(parts.Count);
        try
        {
            foreach (var part in parts)
            {
                var lease = await buffers.RentAsync(part.Length, failed.Token);
                if (!source.Concurrent)
                {
                    try
                    {
                        await source.FillAsync(part, lease.Memory, failed.Token);
                    }
                    catch
                    {
                        lease.Dispose();
                        throw;
                    }
                }

                tasks.Add(SendPartAsync(part, lease, source.Concurrent ? source : null, digest, upload, failed));
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A part failed and stopped the loop: WhenAll below reports its error.
        }
        catch
        {
            await failed.CancelAsync();
            await Task.WhenAll(tasks).ContinueWith(static _ => { }, TaskScheduler.Default);
            throw;
        }

        return await Task.WhenAll(tasks);
    }

    private async Task<PartETag> SendPartAsync(FilePart part, PartBuffers.Lease lease, IPartSource? fill, OrderedDigest digest,
        Func<FilePart, ReadOnlyMemory<byte>, CancellationToken, Task<PartETag>>? upload, CancellationTokenSource failed)
    {
        using (lease)
        {
            try
            {
                if (fill is not null)
                {
                    await fill.FillAsync(part, lease.Memory, failed.Token);
                }

                var hashed = digest.AppendAsync(part.Number - 1, lease.Memory, failed.Token);
                var etag = new PartETag(part.Number, string.Empty);
                if (upload is not null)
                {
                    try
                    {
                        etag = await upload(part, lease.Memory, failed.Token);
                    }
                    catch
                    {
                        await failed.CancelAsync();
                        await hashed.ContinueWith(static _ => { }, TaskScheduler.Default);
                        throw;
                    }
                }

                await hashed;
                Done(part.Length, copied: upload is not null);
                return etag;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await failed.CancelAsync();
                throw;
            }
        }
    }

    private void Done(long bytes, bool copied)
    {
        if (copied)
        {
            Interlocked.Add(ref _copied, bytes);
        }

        progress?.Report(bytes);
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            await destination.AbortMultipartAsync(key, uploadId, CancellationToken.None);
        }
        catch (StoreException)
        {
            // The next run aborts uploads left under the revision; the first error is the one to report.
        }
    }
}
