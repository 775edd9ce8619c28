using System.Runtime.ExceptionServices;
using System.Text.Json;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Threading;
using HcpModelFs.Core.Transfer;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Import;

/*
 * Copies a model folder from another S3-compatible store into the managed layout, in the order `upload` uses: file
 * objects, then the manifest (the commit point: the model is complete or invisible), then the refs. The commit id is
 * derived from the source listing (ImportCommitId), so a re-run writes to the same keys and skips every file whose
 * receipt (ImportReceipts) and object still agree. Each byte is read from the source once, into a pooled buffer that
 * is uploaded and hashed from where it landed (FileCopier); a source object that changes mid-copy fails the import.
 */
public sealed class ModelImporter
{
    private readonly IObjectStore _destination;
    private readonly StoreLayout _layout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public ModelImporter(IObjectStore destination, StoreLayout layout, ILogger<ModelImporter>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(layout);
        _destination = destination;
        _layout = layout;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Lists the source and derives the commit id; fails before anything is written when there is nothing to import.</summary>
    public static async Task<ImportPlan> PlanAsync(ModelSource source, string org, string model, ImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (!Naming.ModelName.IsValid(org) || !Naming.ModelName.IsValid(model))
        {
            throw new ArgumentException($"'{org}/{model}' is not a valid model name.", nameof(model));
        }

        var files = await source.ListAsync(options.Include, cancellationToken);
        return files.Count == 0
            ? throw new ImportFailedException($"no files to {source.Kind} under {source.Url}")
            : new ImportPlan(source, org, model, ImportCommitId.For(source.Kind, files), files, options);
    }

    /// <summary>Runs <paramref name="plan"/>; <paramref name="progress"/> gets each file's bytes as they are copied (or found complete).</summary>
    public async Task<ImportResult> ImportAsync(ImportPlan plan, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var (source, org, model, commit, files, options) = plan;
        var total = plan.TotalBytes;
        ImportLog.Started(_logger, source.Url, org, model, commit, files.Count, total);
        var publisher = new ModelPublisher(_destination, _layout, NullLogger<ModelPublisher>.Instance, _time);
        if (await ReadManifestAsync(org, model, commit, cancellationToken) is { } done)
        {
            await PointRefsAsync(publisher, done, options.Revision, cancellationToken);
            progress?.Report(total);
            return new ImportResult(org, model, commit, done.Files.Count, total, 0, done.Files.Count, AlreadyImported: true, RangedReads: true) { Manifest = done };
        }

        await StoreCapabilityCheck.EnsureDetectedAsync(_destination, _layout, cancellationToken);
        var receipts = new ImportReceipts(_destination, _layout, org, model, commit);
        await receipts.MarkStartedAsync(source.Url, files.Count, cancellationToken);
        if (await receipts.AbortLeftoverUploadsAsync(cancellationToken) is > 0 and var aborted)
        {
            ImportLog.LeftoversAborted(_logger, aborted, org, model, commit);
        }

        var finished = await receipts.LoadAsync(cancellationToken);
        var reader = await source.OpenAsync(files, options, _logger, cancellationToken);
        using var pipeline = new PartPipeline(options.Parallelism, options.PartSize);
        var copier = new FileCopier(_destination, pipeline, options.PartSize, options.BlockSize, progress);
        var entries = new ManifestFile[files.Count];
        var resumed = 0;
        long resumedBytes = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken };
        var loop = Parallel.ForEachAsync(Enumerable.Range(0, files.Count), parallel, async (i, ct) =>
        {
            var file = files[i];
            var key = _layout.FileKey(org, model, commit, file.Path);
            if (finished.TryGetValue(file.Path, out var receipt) && await IsFinalAsync(key, receipt, file, ct))
            {
                Interlocked.Increment(ref resumed);
                Interlocked.Add(ref resumedBytes, file.Size);
                progress?.Report(file.Size);
                entries[i] = receipt;
                return;
            }

            entries[i] = await CopyOrDigestAsync(copier, reader, file, key, ct);
            await receipts.WriteAsync(entries[i], ct);
        });
        await FirstFailureAsync(loop, cancellationToken);
        if (resumed > 0)
        {
            ImportLog.Resuming(_logger, org, model, commit, resumed, resumedBytes);
        }

        var manifest = new Manifest
        {
            Org = org,
            Model = model,
            Commit = commit,
            Revision = options.Revision,
            IngestedAt = _time.GetUtcNow(),
            Source = source.Kind,
            Files = entries,
        };
        await publisher.CommitAsync(manifest, refName: null, moveRef: true, cancellationToken);
        await PointRefsAsync(publisher, manifest, options.Revision, cancellationToken);
        await receipts.ClearAsync(cancellationToken);
        ImportLog.Committed(_logger, org, model, commit, files.Count, total, copier.CopiedBytes);
        return new ImportResult(org, model, commit, files.Count, total, copier.CopiedBytes, resumed, AlreadyImported: false, reader.Ranged) { Manifest = manifest };
    }

    private async Task<ManifestFile> CopyOrDigestAsync(FileCopier copier, SourceReader reader, SourceFile file, string key, CancellationToken cancellationToken)
    {
        if (await _destination.HeadAsync(key, cancellationToken) is { } existing)
        {
            if (existing.Size == file.Size)
            {
                // Same key = same commit = same source listing (path, size, ETag): these are the source's bytes.
                ImportLog.DigestedExisting(_logger, key);
                return await copier.DigestExistingAsync(file.Path, existing, cancellationToken);
            }

            if (!_destination.Capabilities.OverwriteAllowed)
            {
                throw new StoreException(StoreErrorKind.AlreadyExists, $"{key} exists with {existing.Size} bytes, expected {file.Size}, and the store refuses overwrites.");
            }
        }

        using var parts = reader.Open(file);
        return await copier.CopyAsync(file, parts, key, cancellationToken);
    }

    /// <summary>
    /// Awaits the file loop and rethrows the failure that stopped it: when one file fails the loop cancels the others,
    /// and their cancellations must not hide the reason (a changed object, a store error).
    /// </summary>
    private static async Task FirstFailureAsync(Task loop, CancellationToken cancellationToken)
    {
        try
        {
            await loop;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && TaskFailures.FirstCause([loop]) is { } cause)
        {
            ExceptionDispatchInfo.Throw(cause);
        }
    }

    private async Task<bool> IsFinalAsync(string key, ManifestFile receipt, SourceFile file, CancellationToken cancellationToken) =>
        receipt.Size == file.Size && await _destination.HeadAsync(key, cancellationToken) is { } head &&
        head.Size == receipt.Size && head.ETag == receipt.ETag;

    private async Task<Manifest?> ReadManifestAsync(string org, string model, string commit, CancellationToken cancellationToken)
    {
        var key = _layout.ManifestKey(org, model, commit);
        if (await _destination.HeadAsync(key, cancellationToken) is not { } head)
        {
            return null;
        }

        var bytes = new byte[head.Size];
        await _destination.ReadRangeAsync(key, 0, bytes, head.ETag, cancellationToken);
        return JsonSerializer.Deserialize(bytes, ManifestJsonContext.Default.Manifest);
    }

    private static async Task PointRefsAsync(ModelPublisher publisher, Manifest manifest, string revision, CancellationToken cancellationToken)
    {
        await publisher.AppendRefAsync(manifest.Org, manifest.Model, StoreLayout.DefaultRef, manifest.Commit, cancellationToken);
        if (revision != StoreLayout.DefaultRef)
        {
            await publisher.AppendRefAsync(manifest.Org, manifest.Model, revision, manifest.Commit, cancellationToken);
        }
    }
}
