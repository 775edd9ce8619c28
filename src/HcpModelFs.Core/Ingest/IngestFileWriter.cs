using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Transfer;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Writes one verified file of an ingest into the store: a file already there (a resumed ingest; objects complete only
/// after verification) is taken as it is; a small file, or any file up to 256 MiB where the store refuses multipart,
/// is one PUT hashed from its buffer; a bigger one goes through <see cref="MultipartWriter"/>. Nothing completes unless
/// its bytes matched the Hub's metadata.
/// </summary>
internal sealed class IngestFileWriter(
    IObjectStore store,
    MultipartWriter multipart,
    IngestVerifier verifier,
    IBlockSource hub,
    PartPipeline pipeline,
    bool throughCache,
    int blockSize,
    string name,
    ILogger logger,
    TimeProvider time)
{
    // Where the store refuses multipart uploads (detected at start-up), a file up to this size is one PUT from memory.
    private const long MaxSinglePut = 256L << 20;
    private readonly IObjectStore _store = store;
    private readonly MultipartWriter _multipart = multipart;
    private readonly IngestVerifier _verifier = verifier;
    private readonly IBlockSource _hubSource = hub;
    private readonly PartPipeline _pipeline = pipeline;
    private readonly bool _throughCache = throughCache;
    private readonly int _blockSize = blockSize;
    private readonly ILogger _logger = logger;
    private readonly TimeProvider _time = time;

    private string Name { get; } = name;

    /// <summary>Stores one file; the bytes it adds to the job's progress, or null when an earlier attempt of the job stored it.</summary>
    public async Task<long?> StoreAsync(IngestFileState file, CancellationToken ct)
    {
        if (file.ETag is not null)
        {
            return null; // Stored in an earlier attempt of this job.
        }

        var key = file.File.CacheId.Key;
        var size = file.File.Size;
        var started = _time.GetTimestamp();
        var existing = await _store.HeadAsync(key, ct);
        if (existing is not null)
        {
            // Objects are completed only after verification, so one of the right size is this file (a resumed ingest).
            if (existing.Size != size)
            {
                throw new IngestFailedException($"{key} exists in the store with {existing.Size} bytes, the Hub says {size}; it cannot be overwritten.");
            }

            file.Sha256 = file.Hub.LfsSha256 ?? await file.Verify(() => _verifier.VerifyAsync(file)).WaitAsync(ct);
            file.Complete(existing.ETag);
            return size;
        }

        var blockSize = _blockSize;
        var partSize = MultipartWriter.PartSizeFor(size, blockSize);
        ObjectInfo info;
        var multipart = _store.Capabilities.MultipartSupported;
        if (size <= partSize || (!multipart && size <= MaxSinglePut))
        {
            info = await StoreSmallFileAsync(file, ct);
        }
        else if (!multipart)
        {
            throw new IngestFailedException($"{key}: the store refuses multipart uploads (an HCP namespace setting) and the file has {size} bytes, " +
                $"more than the {MaxSinglePut >> 20} MiB one PUT from memory may hold; enable multipart uploads on the namespace.");
        }
        else
        {
            using var hasher = new InOrderHasher(HubDigestCheck.For(file, blockSize), digest => HubDigestCheck.Verify(file, digest, Name, _logger));
            var verified = file.Verify(() => hasher.Completion);
            // A reader at the file's end may have started a pass of its own first: then that pass owns the verdict.
            var ours = ReferenceEquals(verified, hasher.Completion);
            info = await _multipart.WriteAsync(file, partSize, (part, buffer, token) => ReadAsync(file, part.Offset, buffer, token), ours ? hasher : null, verified, ct);
        }

        if (info.Size != size)
        {
            throw new StoreException(StoreErrorKind.Truncated, $"{key}: the store has {info.Size} bytes after the upload, expected {size}.");
        }

        file.Complete(info.ETag);
        IngestMetrics.BytesStored.Add(size);
        IngestMetrics.FilesStored.Add(1);
        var seconds = Math.Max(_time.GetElapsedTime(started).TotalSeconds, 1e-3);
        IngestLog.FileStored(_logger, Name, file.File.Path, size, size / seconds / 1e6);
        return size;
    }

    private async Task<ObjectInfo> StoreSmallFileAsync(IngestFileState file, CancellationToken ct)
    {
        var size = (int)file.File.Size;
        // One of the pipeline's buffers: small files count against the same memory bound as the parts.
        using var buffer = await _pipeline.RentAsync(size, ct);
        var content = buffer.Memory;
        await _pipeline.FillAsync(token => ReadAsync(file, 0, content, token), ct);

        // Hashed from the buffer it is uploaded from, unless a reader's pass got there first.
        file.Sha256 = await file.Verify(() => HashWhole(file, content)).WaitAsync(ct);
        var info = await StoreWrites.PutOnceAsync(_store, file.File.CacheId.Key, content, ct);
        file.AddProgress(size);
        return info;
    }

    private Task<string> HashWhole(IngestFileState file, ReadOnlyMemory<byte> content)
    {
        using var digest = HubDigestCheck.For(file, _blockSize);
        digest.Append(content.Span);
        try
        {
            return Task.FromResult(HubDigestCheck.Verify(file, digest, Name, _logger));
        }
        catch (IngestFailedException ex)
        {
            return Task.FromException<string>(ex);
        }
    }

    /// <summary>
    /// Where the upload reads a file's bytes: through the cache when this node keeps them (readers share the fetches,
    /// a restart resumes from them), straight from the Hub when it does not (a prefetch without a warm cache).
    /// </summary>
    private async ValueTask ReadAsync(IngestFileState file, long offset, Memory<byte> destination, CancellationToken ct)
    {
        try
        {
            if (_throughCache)
            {
                await _verifier.ReadAsync(file, offset, destination, ct);
            }
            else
            {
                await _hubSource.ReadAsync(file.File.CacheId, offset, destination, ct);
            }
        }
        catch (HubException ex) when (ex.Kind == HubErrorKind.Integrity)
        {
            throw _verifier.Integrity(file, ex);
        }
    }
}
