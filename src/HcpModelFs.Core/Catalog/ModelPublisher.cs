using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HcpModelFs.Core.Cache;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Catalog;

/*
 * Writes a local folder into the store in the managed layout, in the only order that is safe on a store that never
 * overwrites (HCP): every file object first (each verified by size after upload), then the manifest (the commit
 * point), then a ref entry. A crash before the manifest leaves nothing visible; re-running resumes (objects that
 * exist with the right size are kept). Used by `hcpmodelfs upload`, by tests, and by the ingest pipeline's last step.
 */
public sealed class ModelPublisher
{
    public const int PartSize = 64 << 20;
    private readonly IObjectStore _store;
    private readonly StoreLayout _layout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public ModelPublisher(IObjectStore store, StoreLayout layout, ILogger<ModelPublisher> logger, TimeProvider? time = null)
    {
        _store = store;
        _layout = layout;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public StoreLayout Layout => _layout;

    /// <summary>Publishes <paramref name="directory"/> as org/model and points the default ref (and <paramref name="revision"/>) at it.</summary>
    public Task<Manifest> PublishAsync(string org, string model, string directory, string revision, CancellationToken cancellationToken) =>
        PublishAsync(org, model, directory, revision, null, cancellationToken);

    /// <summary>
    /// As above, reporting bytes done to <paramref name="progress"/>: each file's size once hashed and again once
    /// uploaded (or found already uploaded), so the total is twice the folder's size.
    /// </summary>
    public async Task<Manifest> PublishAsync(string org, string model, string directory, string revision, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (!Naming.ModelName.IsValid(org) || !Naming.ModelName.IsValid(model))
        {
            throw new ArgumentException($"'{org}/{model}' is not a valid model name.", nameof(model));
        }

        var root = Path.GetFullPath(directory);
        var paths = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var bad = paths.FirstOrDefault(p => !RelativePath.IsValid(p) || p.StartsWith(StoreLayout.MetaFolder, StringComparison.Ordinal));
        if (bad is not null)
        {
            throw new ArgumentException($"Cannot publish '{bad}': not a valid path inside a model.", nameof(directory));
        }

        // Hash first: the commit id of an uploaded model is derived from its content, so the same folder publishes to
        // the same keys (idempotent, resumable). 40 hex digits, the shape of a Hub commit.
        var hashes = new List<(string Path, long Size, string Sha256, BlockChecksums Blocks)>();
        foreach (var path in paths)
        {
            var (size, sha256, blocks) = await FileDigest.ComputeAsync(Path.Combine(root, path), DiskBlockCacheOptions.DefaultBlockSize, cancellationToken);
            hashes.Add((path, size, sha256, blocks));
            progress?.Report(size);
        }

        var commit = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', hashes.Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Path}\0{h.Size}\0{h.Sha256}"))))))[..40];

        var files = new List<ManifestFile>();
        foreach (var (path, size, sha256, blocks) in hashes)
        {
            var key = _layout.FileKey(org, model, commit, path);
            var info = await UploadAsync(key, Path.Combine(root, path), size, cancellationToken);
            progress?.Report(size);
            files.Add(new ManifestFile(path, size, sha256, info.ETag, blocks));
        }

        var manifest = new Manifest
        {
            Org = org,
            Model = model,
            Commit = commit,
            Revision = revision,
            IngestedAt = _time.GetUtcNow(),
            Source = "upload",
            Files = files,
        };
        await CommitAsync(manifest, StoreLayout.DefaultRef, moveRef: true, cancellationToken);
        if (revision != StoreLayout.DefaultRef)
        {
            await AppendRefAsync(org, model, revision, commit, cancellationToken);
        }

        CoreLog.Published(_logger, org, model, commit, files.Count, files.Sum(f => f.Size));
        return manifest;
    }

    /// <summary>
    /// The commit point, once every file object is in: the manifest (created exclusively: the first writer wins, and
    /// a racing writer of the same commit wrote the same list), then the ref. <paramref name="moveRef"/> false pins
    /// the ref only if it has no entry yet: an ingest pins the default revision when first ingested, never moves it.
    /// </summary>
    public async Task CommitAsync(Manifest manifest, string? refName, bool moveRef, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        await StoreCapabilityCheck.EnsureDetectedAsync(_store, _layout, cancellationToken);
        await _store.CreateExclusiveAsync(
            _layout.ManifestKey(manifest.Org, manifest.Model, manifest.Commit),
            JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest),
            cancellationToken);
        if (refName is not null)
        {
            await AppendRefAsync(manifest.Org, manifest.Model, refName, manifest.Commit, cancellationToken, onlyIfEmpty: !moveRef);
        }
    }

    /// <summary>Appends a ref entry with the next sequence number, created exclusively (a racing writer takes the next one).</summary>
    public async Task AppendRefAsync(string org, string model, string refName, string commit, CancellationToken cancellationToken, bool onlyIfEmpty = false)
    {
        // Ref entries are created exclusively; how depends on the store (If-None-Match, or HCP's 409).
        await StoreCapabilityCheck.EnsureDetectedAsync(_store, _layout, cancellationToken);

        var prefix = _layout.RefsPrefix(org, model, refName);
        long last = 0;
        string? lastCommit = null;
        await foreach (var entry in _store.ListAsync(prefix, "/", cancellationToken))
        {
            if (StoreLayout.TryParseRefEntry(entry.Key[prefix.Length..], out var sequence, out var sha) && sequence > last)
            {
                last = sequence;
                lastCommit = sha;
            }
        }

        if (lastCommit == commit || (onlyIfEmpty && lastCommit is not null))
        {
            return; // Already the newest entry: publishing the same content twice appends nothing.
        }

        for (var attempt = 0; attempt < 16; attempt++)
        {
            if (await _store.CreateExclusiveAsync(_layout.RefKey(org, model, refName, last + 1 + attempt, commit), ReadOnlyMemory<byte>.Empty, cancellationToken)
                || onlyIfEmpty)
            {
                return; // Pinning: a racing writer that took the slot pinned the ref first (same commit, or it wins).
            }
        }

        throw new StoreException(StoreErrorKind.AlreadyExists, $"Could not append a ref entry for {org}/{model} ({refName}).");
    }

    private async Task<ObjectInfo> UploadAsync(string key, string file, long size, CancellationToken cancellationToken)
    {
        var existing = await _store.HeadAsync(key, cancellationToken);
        if (existing is not null)
        {
            if (existing.Size == size)
            {
                return existing; // Already uploaded by an earlier, interrupted run: keys are content-addressed by commit.
            }

            throw new StoreException(StoreErrorKind.AlreadyExists, $"{key} exists with {existing.Size} bytes, expected {size}.");
        }

        using var handle = File.OpenHandle(file);
        if (size <= PartSize)
        {
            var content = new byte[size];
            await RandomAccess.ReadAsync(handle, content, 0, cancellationToken);
            return await _store.PutAsync(key, content, cancellationToken);
        }

        var uploadId = await _store.CreateMultipartAsync(key, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var parts = new List<PartETag>();
            for (long offset = 0, part = 1; offset < size; offset += PartSize, part++)
            {
                var length = (int)Math.Min(PartSize, size - offset);
                var read = 0;
                while (read < length)
                {
                    read += await RandomAccess.ReadAsync(handle, buffer.AsMemory(read, length - read), offset + read, cancellationToken);
                }

                parts.Add(await _store.UploadPartAsync(key, uploadId, (int)part, buffer.AsMemory(0, length), cancellationToken));
            }

            var info = await _store.CompleteMultipartAsync(key, uploadId, parts, cancellationToken);
            if (info.Size != size)
            {
                throw new StoreException(StoreErrorKind.Truncated, $"{key}: store has {info.Size} bytes after upload, expected {size}.");
            }

            return info;
        }
        catch
        {
            await _store.AbortMultipartAsync(key, uploadId, CancellationToken.None);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
