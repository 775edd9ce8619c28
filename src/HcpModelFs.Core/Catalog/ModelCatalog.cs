using System.Collections.Concurrent;
using System.Text.Json;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Naming;
using HcpModelFs.Store;
using Microsoft.Extensions.Caching.Memory;
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
    private readonly MemoryCache _cache;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Task<object?>> _inFlight = new(StringComparer.Ordinal);

    public ModelCatalog(IObjectStore store, StoreLayout layout, CatalogOptions options, ILogger<ModelCatalog> logger, TimeProvider? time = null)
    {
        _store = store;
        _layout = layout;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        // The cache bounds memory; freshness is checked against our own clock (each entry carries its expiry), so
        // TTLs are exact under a test's manual clock.
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = 1_000_000 });
    }

    public StoreLayout Layout => _layout;

    public async Task<IReadOnlyList<string>> ListOrganizationsAsync(CancellationToken cancellationToken) =>
        (IReadOnlyList<string>)(await CachedAsync(OrgsKey, async ct =>
        {
            var names = await ListChildNamesAsync(_layout.Prefix, ct);
            return ((object?)names, _options.ListingTtl, names.Count + 1);
        }, cancellationToken))!;

    public async Task<IReadOnlyList<string>> ListModelsAsync(string org, CancellationToken cancellationToken) =>
        (IReadOnlyList<string>)(await CachedAsync("models|" + org, async ct =>
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

        return (ModelRevision?)await CachedAsync($"rev|{org}/{model}@{revision}", ct => ResolveUncachedAsync(org, model, revision, ct), cancellationToken);
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

    private async Task<Manifest?> ReadManifestAsync(string org, string model, string commit, CancellationToken ct)
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

    /// <summary>Cache lookup with single flight: concurrent misses of one key share one store round trip.</summary>
    private async Task<object?> CachedAsync(string key, Func<CancellationToken, Task<(object? Value, TimeSpan Ttl, long Size)>> load, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(key, out Entry? cached) && cached!.ExpiresAt > _time.GetUtcNow())
        {
            return cached.Value;
        }

        // The load starts only after its task is in the map, so its removal can never run first and leave a stale,
        // completed task behind (which would serve an expired answer for ever).
        var mine = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd(key, mine.Task);
        if (shared == mine.Task)
        {
            _ = LoadAsync(key, load, mine);
        }

        return await shared.WaitAsync(cancellationToken);
    }

    private async Task LoadAsync(string key, Func<CancellationToken, Task<(object? Value, TimeSpan Ttl, long Size)>> load, TaskCompletionSource<object?> completion)
    {
        try
        {
            // The shared load is not cancelled by one caller giving up: others may still wait for it.
            var (value, ttl, size) = await load(CancellationToken.None);
            _cache.Set(key, new Entry(value, _time.GetUtcNow() + ttl), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = size });
            _inFlight.TryRemove(new KeyValuePair<string, Task<object?>>(key, completion.Task));
            completion.SetResult(value);
        }
        catch (Exception ex)
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<object?>>(key, completion.Task));
            completion.SetException(ex);
        }
    }

    /// <summary>A cached answer (null = the store has no such thing) and when it stops being fresh.</summary>
    private sealed record Entry(object? Value, DateTimeOffset ExpiresAt);
}
