using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Transfer;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Import;

/*
 * Copies one file: each part is filled from the source into a pooled buffer, then uploaded as a multipart part and
 * fed to the in-order digest from that same buffer (no temp file, no second read; PartPipeline overlaps the fills with
 * the uploads). A file of one part, or any file when the destination refuses multipart, is one PUT. A failed part
 * cancels the file's other parts and aborts its upload; the digest is the file's manifest entry.
 */
internal sealed class FileCopier(IObjectStore destination, PartPipeline pipeline, int partSize, int blockSize, IProgress<long>? progress)
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

        using var lease = await pipeline.RentAsync((int)file.Size, cancellationToken);
        foreach (var part in parts)
        {
            var slice = lease.Memory.Slice((int)part.Offset, part.Length);
            await pipeline.FillAsync(ct => source.FillAsync(part, slice, ct), cancellationToken);
            await digest.AppendAsync(part.Number - 1, slice, cancellationToken);
        }

        var info = await destination.PutAsync(key, lease.Memory, cancellationToken);
        Done(file.Size, copied: true);
        return info;
    }

    private Task<PartETag[]> RunPartsAsync(IReadOnlyList<FilePart> parts, IPartSource source, OrderedDigest digest, PartUpload? upload,
        CancellationToken cancellationToken) =>
        pipeline.RunAsync(parts, source.FillAsync, fillInOrder: !source.Concurrent, digest.AppendAsync, upload,
            part => Done(part.Length, copied: upload is not null), cancellationToken);

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
