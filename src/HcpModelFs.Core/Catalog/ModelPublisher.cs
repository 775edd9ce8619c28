using System.Text.Json;
using HcpModelFs.Core.Import;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Catalog;

/*
 * Writes a model into the store in the managed layout, in the only order that is safe on a store that never
 * overwrites (HCP): every file object first, then the manifest (the commit point), then a ref entry. A crash before
 * the manifest leaves nothing visible. PublishAsync is `hcpmodelfs upload` (a local folder through the import
 * pipeline: one read per byte, resumable); CommitAsync and AppendRefAsync are the last steps of upload, import and ingest.
 */
public sealed class ModelPublisher
{
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

    /// <summary>As above, reporting bytes done to <paramref name="progress"/> (the total is the folder's size).</summary>
    public async Task<Manifest> PublishAsync(string org, string model, string directory, string revision, IProgress<long>? progress, CancellationToken cancellationToken) =>
        await PublishAsync(await PlanAsync(org, model, directory, revision, cancellationToken), progress, cancellationToken);

    /// <summary>An upload's plan: the folder listed once (<see cref="ImportPlan.TotalBytes"/> is its size), the commit id derived from it.</summary>
    public static Task<ImportPlan> PlanAsync(string org, string model, string directory, string revision, CancellationToken cancellationToken) =>
        ModelImporter.PlanAsync(new FolderSource(directory), org, model, new ImportOptions { Revision = revision }, cancellationToken);

    /// <summary>
    /// Runs <paramref name="plan"/>, reporting bytes done to <paramref name="progress"/> as each part is uploaded (or each
    /// file is found already uploaded). The folder is read once (<see cref="FolderSource"/>): every part is hashed and
    /// uploaded from the same buffer, several at once; an interrupted upload resumes.
    /// </summary>
    public async Task<Manifest> PublishAsync(ImportPlan plan, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var result = await new ModelImporter(_store, _layout, null, _time).ImportAsync(plan, progress, cancellationToken);
        CoreLog.Published(_logger, result.Org, result.Model, result.Commit, result.Files, result.Bytes);
        return result.Manifest;
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
}
