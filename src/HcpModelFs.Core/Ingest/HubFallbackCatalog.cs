using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Naming;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/*
 * The store first; a model the store lacks is looked up on the Hub (design.md §1) when policy allows it. The Hub's
 * answer becomes a revision whose file list comes from Hub metadata, so the directory lists with exact sizes before a
 * byte is downloaded; its files carry the store keys they will have once ingested, so blocks read now stay valid in
 * the cache afterwards. Answers are cached: a Hub 404 as a negative entry, a refusal (gated, private, disabled) as a
 * denial, so a loop of `ls` never turns into a request storm. Transient Hub failures are not cached (EIO, try again).
 */
public sealed class HubFallbackCatalog : IModelCatalog, IDisposable
{
    private static readonly object Denied = new();
    private readonly IModelCatalog _store;
    private readonly IModelHub _hub;
    private readonly HubPolicy _policy;
    private readonly StoreLayout _layout;
    private readonly CatalogOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CachedLookups _cache;
    private readonly IObjectStore? _writeTarget;

    // writeTarget: the store an ingest would write to. Its capability probe is started as soon as a model is missing
    // from it, so the probe's round trips overlap the Hub lookup instead of preceding the ingest's first write.
    public HubFallbackCatalog(IModelCatalog store, IModelHub hub, HubPolicy policy, StoreLayout layout, CatalogOptions options, ILogger<HubFallbackCatalog> logger, TimeProvider? time = null, IObjectStore? writeTarget = null)
    {
        _writeTarget = writeTarget;
        _store = store;
        _hub = hub;
        _policy = policy;
        _layout = layout;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _cache = new CachedLookups(_time);
    }

    public Task<IReadOnlyList<string>> ListOrganizationsAsync(CancellationToken cancellationToken) => _store.ListOrganizationsAsync(cancellationToken);

    public Task<IReadOnlyList<string>> ListModelsAsync(string org, CancellationToken cancellationToken) => _store.ListModelsAsync(org, cancellationToken);

    public async Task<bool> OrganizationExistsAsync(string org, CancellationToken cancellationToken) =>
        ModelName.IsValid(org) && (_policy.MayAllowOrganization(org) || await _store.OrganizationExistsAsync(org, cancellationToken));

    public void Invalidate(string org, string model)
    {
        _store.Invalidate(org, model);
        _cache.RemoveWhere(key => key.StartsWith(org + "/" + model + "@", StringComparison.Ordinal));
    }

    public async Task<ModelRevision?> ResolveAsync(string org, string model, string? revision, CancellationToken cancellationToken)
    {
        var stored = await _store.ResolveAsync(org, model, revision, cancellationToken);
        if (stored is not null || !ModelName.IsValid(org) || !ModelName.IsValid(model) ||
            (revision is not null && !ModelName.IsValidRevision(revision)) || !_policy.Allows(org, model))
        {
            return stored;
        }

        if (_writeTarget is not null)
        {
            StoreCapabilityCheck.Start(_writeTarget, _layout);
        }

        var answer = await _cache.GetAsync($"{org}/{model}@{revision}", ct => LookUpAsync(org, model, revision, ct), cancellationToken);
        return answer == Denied
            ? throw new ModelAccessDeniedException($"{org}/{model} is gated, private or disabled on the Hub and this node's token does not give access.")
            : (ModelRevision?)answer;
    }

    public void Dispose() => _cache.Dispose();

    private async Task<(object? Value, TimeSpan Ttl, long Size)> LookUpAsync(string org, string model, string? revision, CancellationToken ct)
    {
        var repo = HubRepoId.Parse(org + "/" + model);
        try
        {
            var resolved = await _hub.ResolveRevisionAsync(repo, revision ?? StoreLayout.DefaultRef, ct);
            if (resolved.IsDisabled)
            {
                IngestLog.HubRefused(_logger, org, model, "disabled");
                return (Denied, _options.NegativeTtl, 1);
            }

            var files = new Dictionary<string, HubFile>(StringComparer.Ordinal);
            long total = 0;
            await foreach (var file in _hub.ListFilesAsync(repo, resolved.CommitSha, ct))
            {
                // A Hub path we could not serve safely (or that would collide with our own metadata) is left out.
                if (!RelativePath.IsValid(file.Path) || file.Path.StartsWith(StoreLayout.MetaFolder + "/", StringComparison.Ordinal))
                {
                    IngestLog.HubPathSkipped(_logger, org, model, file.Path);
                    continue;
                }

                files[file.Path] = file;
                total += file.Size;
            }

            if (resolved.IsGated && files.Count > 0)
            {
                // Metadata of a gated repo is public; whether we may download is not. Ask once, for one file, now:
                // a clear EACCES at lookup beats a listing whose every read fails.
                await _hub.ResolveFileAsync(repo, resolved.CommitSha, files.Keys.Min(StringComparer.Ordinal)!, ct);
            }

            if (_policy.MaxModelBytes is { } max && total > max)
            {
                IngestLog.ModelTooLarge(_logger, org, model, total, max);
                return (null, _options.NegativeTtl, 1);
            }

            var commit = resolved.CommitSha;
            var revisionFiles = files.Values.Select(f => new RevisionFile(
                f.Path,
                f.Path[(f.Path.LastIndexOf('/') + 1)..],
                f.Size,
                new Cache.CacheObjectId(_layout.FileKey(org, model, commit, f.Path), commit, f.Size, f.LfsSha256)));
            var refName = revision is null ? StoreLayout.DefaultRef : ModelName.IsCommitSha(revision) ? null : revision;
            var result = new ModelRevision(org, model, commit, immutable: true, revisionFiles, resolved.LastModified ?? _time.GetUtcNow())
            {
                Hub = new HubOrigin(repo, refName, files),
            };
            IngestLog.FoundOnHub(_logger, org, model, revision ?? StoreLayout.DefaultRef, commit, files.Count, total);
            return (result, _options.NegativeTtl, files.Count + 1);
        }
        catch (HubException ex) when (ex.Kind is HubErrorKind.RepoNotFound or HubErrorKind.RevisionNotFound or HubErrorKind.EntryNotFound)
        {
            IngestLog.NotOnHub(_logger, org, model, revision ?? StoreLayout.DefaultRef);
            return (null, _options.NegativeTtl, 1);
        }
        catch (HubException ex) when (ex.Kind is HubErrorKind.Gated or HubErrorKind.Unauthorized or HubErrorKind.Disabled)
        {
            IngestLog.HubRefused(_logger, org, model, ex.Kind.ToString());
            return (Denied, _options.NegativeTtl, 1);
        }
    }
}
