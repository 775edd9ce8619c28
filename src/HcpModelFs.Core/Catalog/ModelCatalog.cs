using System.Text.Json;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Naming;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Catalog;

/*
 * The catalog reads the store layout of design.md §3. A model is "managed" when it has a ref log: its default
 * revision is the newest HEAD entry, whose manifest lists the files. A model folder without any .hcpmodelfs/ key is
 * "plain": files uploaded by other tools, served as they are from a recursive LIST.
 * Concurrent lookups of the same name share one resolution (single flight); results and misses are cached in a
 * size-bounded MemoryCache so `ls -l` of a big model costs no store request.
 */
public sealed class ModelCatalog : IModelCatalog, IDisposable
{
    private const string OrgsKey = "orgs";
    private readonly IObjectStore _store;
    private readonly StoreLayout _layout;
    private readonly CatalogOptions _options;
    private readonly ILogger _logger;
    private readonly CachedLookups _cache;

    public ModelCatalog(IObjectStore store, StoreLayout layout, CatalogOptions options, ILogger<ModelCatalog> logger, TimeProvider? time = null)
    {
        _store = store;
        _layout = layout;
        _options = options;
        _logger = logger;
        _cache = new CachedLookups(time ?? TimeProvider.System);
    }

    public StoreLayout Layout => _layout;

    public async Task<IReadOnlyList<string>> ListOrganizationsAsync(CancellationToken cancellationToken) =>
        (IReadOnlyList<string>)(await _cache.GetAsync(OrgsKey, async ct =>
        {
            var names = await ListChildNamesAsync(_layout.Prefix, ct);
            return ((object?)names, _options.ListingTtl, names.Count + 1);
        }, cancellationToken))!;

    public async Task<IReadOnlyList<string>> ListModelsAsync(string org, CancellationToken cancellationToken) =>
        (IReadOnlyList<string>)(await _cache.GetAsync("models|" + org, async ct =>
        {
            var names = await ListChildNamesAsync(_layout.OrgPrefix(org), ct);
            return ((object?)names, _options.ListingTtl, names.Count + 1);
        }, cancellationToken))!;

    public async Task<ModelRevision?> ResolveAsync(string org, string model, string? revision, CancellationToken cancellationToken)
    {
        if (!ModelName.IsValid(org) || !ModelName.IsValid(model) || (revision is not null && !ModelName.IsValidRevision(revision)))
        {
            return null;
        }

        return (ModelRevision?)await _cache.GetAsync($"rev|{org}/{model}@{revision}", ct => ResolveUncachedAsync(org, model, revision, ct), cancellationToken);
    }

    public async Task<bool> OrganizationExistsAsync(string org, CancellationToken cancellationToken) =>
        ModelName.IsValid(org) && (await ListModelsAsync(org, cancellationToken)).Count > 0;

    public void Invalidate(string org, string model)
    {
        _cache.Remove("models|" + org);
        _cache.Remove(OrgsKey);
        _cache.RemoveWhere(key => key.StartsWith($"rev|{org}/{model}@", StringComparison.Ordinal));
    }

    public void Dispose() => _cache.Dispose();

    private async Task<(object? Value, TimeSpan Ttl, long Size)> ResolveUncachedAsync(string org, string model, string? revision, CancellationToken ct)
    {
        if (revision is not null && ModelName.IsCommitSha(revision))
        {
            var pinned = await ReadManifestAsync(org, model, revision, ct);
            return pinned is null
                ? (null, _options.NegativeTtl, 1)
                : (ModelRevision.FromManifest(pinned, _layout), _options.CommitTtl, pinned.Files.Count + 1);
        }

        var commit = await ReadRefAsync(org, model, revision ?? StoreLayout.DefaultRef, ct);
        if (commit is not null)
        {
            var manifest = await ReadManifestAsync(org, model, commit, ct);
            if (manifest is null)
            {
                CoreLog.RefWithoutManifest(_logger, org, model, commit);
                return (null, _options.NegativeTtl, 1);
            }

            return (ModelRevision.FromManifest(manifest, _layout), _options.RefTtl, manifest.Files.Count + 1);
        }

        if (revision is not null)
        {
            return (null, _options.NegativeTtl, 1);
        }

        var plain = await ListPlainAsync(org, model, ct);
        return plain is null ? (null, _options.NegativeTtl, 1) : (plain, _options.PlainTtl, plain.FileCount + 1);
    }

    private async Task<string?> ReadRefAsync(string org, string model, string refName, CancellationToken ct)
    {
        long best = -1;
        string? commit = null;
        var prefix = _layout.RefsPrefix(org, model, refName);
        await foreach (var entry in _store.ListAsync(prefix, "/", ct))
        {
            if (!entry.IsPrefix && StoreLayout.TryParseRefEntry(entry.Key[prefix.Length..], out var sequence, out var sha) && sequence > best)
            {
                best = sequence;
                commit = sha;
            }
        }

        return commit;
    }

    /// <summary>The manifest of a commit, or null when it is missing or invalid (logged).</summary>
    public async Task<Manifest?> ReadManifestAsync(string org, string model, string commit, CancellationToken ct)
    {
        var key = _layout.ManifestKey(org, model, commit);
        var info = await _store.HeadAsync(key, ct);
        if (info is null)
        {
            return null;
        }

        var buffer = new byte[info.Size];
        await _store.ReadRangeAsync(key, 0, buffer, null, ct);
        try
        {
            var manifest = JsonSerializer.Deserialize(buffer, ManifestJsonContext.Default.Manifest);
            if (manifest is null || manifest.Commit != commit || manifest.Org != org || manifest.Model != model ||
                manifest.Files.Any(f => !RelativePath.IsValid(f.Path) || f.Size < 0))
            {
                CoreLog.ManifestInvalid(_logger, key, "fields do not match the key or a path is not a safe relative path");
                return null;
            }

            return manifest;
        }
        catch (JsonException ex)
        {
            CoreLog.ManifestInvalid(_logger, key, ex.Message);
            return null;
        }
    }

    private async Task<ModelRevision?> ListPlainAsync(string org, string model, CancellationToken ct)
    {
        var prefix = _layout.ModelPrefix(org, model);
        var files = new List<RevisionFile>();
        var newest = DateTimeOffset.MinValue;
        await foreach (var entry in _store.ListAsync(prefix, null, ct))
        {
            var path = entry.Key[prefix.Length..];
            if (path.StartsWith(StoreLayout.MetaFolder + "/", StringComparison.Ordinal) ||
                path.Contains("/" + StoreLayout.MetaFolder + "/", StringComparison.Ordinal))
            {
                // Managed, but no ref yet (an ingest in progress or abandoned): nothing to serve.
                return null;
            }

            // Folder markers ("a/") and names the filesystem cannot show are skipped.
            if (entry.IsPrefix || path.EndsWith('/') || !RelativePath.IsValid(path))
            {
                continue;
            }

            files.Add(new RevisionFile(path, path[(path.LastIndexOf('/') + 1)..], entry.Size, new CacheObjectId(entry.Key, entry.ETag, entry.Size)));
            if (entry.LastModified > newest)
            {
                newest = entry.LastModified;
            }
        }

        return files.Count == 0 ? null : new ModelRevision(org, model, "plain", immutable: false, files, newest);
    }

    private async Task<IReadOnlyList<string>> ListChildNamesAsync(string prefix, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (var entry in _store.ListAsync(prefix, "/", ct))
        {
            if (entry.IsPrefix)
            {
                var name = entry.Key[prefix.Length..].TrimEnd('/');
                if (ModelName.IsValid(name))
                {
                    names.Add(name);
                }
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

}
