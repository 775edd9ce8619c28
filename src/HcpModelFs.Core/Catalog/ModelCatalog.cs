using System.Collections.Concurrent;
using System.Text.Json;
using HcpModelFs.Core.Naming;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Catalog;

/*
 * The catalog reads the store layout of design.md §3. A model is "managed" when it has a ref log: its default
 * revision is the newest HEAD entry, whose manifest lists the files. A model folder without any .hcpmodelfs/ key is
 * "plain": files uploaded by other tools, served as they are from a recursive LIST.
 * An organisation is listed in bulk (OrgIndex: one recursive LIST of all its keys) when it is first read; its model
 * names, plain folders and refs come from there, so a `find` over it costs keys/1000 requests, not some per model.
 * Organisations with more keys than CatalogOptions.MaxIndexKeys, and names the index does not know, take the
 * per-model path. Concurrent lookups of the same name share one resolution (single flight); results and misses are
 * cached in a size-bounded MemoryCache so `ls -l` of a big model costs no store request.
 */
public sealed class ModelCatalog : IModelCatalog, IDisposable
{
    private const string OrgsKey = "orgs";

    /// <summary>
    /// A manifest is read whole into memory: one bigger than this (about 300k files; the largest Hub repos have tens of
    /// thousands) is refused rather than allowed to take the daemon's memory. A store object, not our writer, sets the size.
    /// </summary>
    public const long MaxManifestBytes = 64L << 20;
    private readonly IObjectStore _store;
    private readonly StoreLayout _layout;
    private readonly CatalogOptions _options;
    private readonly ILogger _logger;
    private readonly CachedLookups _cache;
    private readonly ConcurrentDictionary<string, bool> _tooLargeLogged = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ignoredRefsLogged = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _invalidLogged = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _orgSeen = new(StringComparer.Ordinal);

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

    public Task<IReadOnlyList<string>> ListModelsAsync(string org, CancellationToken cancellationToken) =>
        ListModelNamesAsync(org, walk: true, cancellationToken);

    private async Task<IReadOnlyList<string>> ListModelNamesAsync(string org, bool walk, CancellationToken cancellationToken)
    {
        if (await IndexAsync(org, cancellationToken) is { } index)
        {
            if (walk)
            {
                index.MarkWalked();
            }

            return index.Models;
        }

        return await ListTopLevelAsync(org, cancellationToken);
    }

    private async Task<IReadOnlyList<string>> ListTopLevelAsync(string org, CancellationToken cancellationToken) =>
        (IReadOnlyList<string>)(await _cache.GetAsync("models|" + org, async ct =>
        {
            var names = await ListChildNamesAsync(_layout.OrgPrefix(org), ct);
            return ((object?)names, _options.ListingTtl, names.Count + 1);
        }, cancellationToken))!;

    private void SeenModelOf(string org)
    {
        if (_orgSeen.TryGetValue(org, out var seen))
        {
            seen.TrySetResult();
        }
    }

    private OrgIndex? LoadedIndex(string org) => _cache.TryGetFresh("index|" + org, out var value) ? value as OrgIndex : null;

    public async Task<ModelRevision?> ResolveAsync(string org, string model, string? revision, CancellationToken cancellationToken)
    {
        if (!ModelName.IsValid(org) || !ModelName.IsValid(model) || (revision is not null && !ModelName.IsValidRevision(revision)))
        {
            return null;
        }

        // Only an index already listed answers here: a lookup never waits for a whole organisation's listing (a
        // `cat` of one file in an organisation of 100k keys would pay for all of them); READDIR lists it.
        if ((revision is null || !ModelName.IsCommitSha(revision)) && LoadedIndex(org) is { } index)
        {
            if (revision is null && index.Plain(model) is { } plain)
            {
                return plain;
            }

            if (index.Ref(model, revision ?? StoreLayout.DefaultRef) is { } commit)
            {
                // A lookup of a managed model after its organisation was read: read the others' manifests ahead.
                if (index.Walked && index.TryStartManifestWarmUp())
                {
                    _ = WarmManifestsAsync(index);
                }

                return await CommitAsync(org, model, commit, index.ManifestSize(model, commit), cancellationToken);
            }
        }

        return (ModelRevision?)await _cache.GetAsync($"rev|{org}/{model}@{revision}", ct => ResolveUncachedAsync(org, model, revision, ct), cancellationToken);
    }

    public async Task<bool> OrganizationExistsAsync(string org, CancellationToken cancellationToken)
    {
        if (!ModelName.IsValid(org))
        {
            return false;
        }

        if (LoadedIndex(org) is { } loaded)
        {
            return loaded.Models.Count > 0;
        }

        // The organisation's listing answers as soon as its first model key arrives: a small organisation is listed
        // whole by then (one page), a large one goes on in the background instead of holding up this lookup.
        var seen = _orgSeen.GetOrAdd(org, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var load = IndexAsync(org, cancellationToken);
        if (await Task.WhenAny(seen.Task, load) == seen.Task)
        {
            _ = load.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return true;
        }

        return await load is { } index ? index.Models.Count > 0 : (await ListTopLevelAsync(org, cancellationToken)).Count > 0;
    }

    public void Invalidate(string org, string model)
    {
        _cache.Remove("models|" + org);
        _cache.Remove("index|" + org);
        _cache.Remove(OrgsKey);
        _cache.RemoveWhere(key => key.StartsWith($"rev|{org}/{model}@", StringComparison.Ordinal) ||
            key.StartsWith($"commit|{org}/{model}/", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
        _cache.Dispose();
    }

    /// <summary>
    /// The manifests of every managed model of a walked organisation, in listing order with bounded concurrency, so a
    /// `find` does not wait for one manifest round trip per model. Shares single flight with the walk's own lookups.
    /// </summary>
    private async Task WarmManifestsAsync(OrgIndex index)
    {
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = _options.ManifestReadsInFlight, CancellationToken = _disposed.Token };
            await Parallel.ForEachAsync(index.DefaultCommits(), options, async (m, ct) =>
                await CommitAsync(index.Org, m.Model, m.Commit, index.ManifestSize(m.Model, m.Commit), ct));
        }
        catch (Exception ex) when (ex is StoreException or OperationCanceledException or ObjectDisposedException)
        {
            // The walk's own lookups read what is missing and report failures; ahead-reading is only an optimisation.
            CoreLog.ManifestWarmUpStopped(_logger, index.Org, ex.Message);
        }
    }

    /// <summary>The organisation's bulk index (listed once per ListingTtl, single flight), or null when it is too big.</summary>
    private async Task<OrgIndex?> IndexAsync(string org, CancellationToken cancellationToken) =>
        (OrgIndex?)await _cache.GetAsync("index|" + org, async ct =>
        {
            OrgIndex? index;
            try
            {
                index = await OrgIndex.LoadAsync(_store, _layout, org, _options.MaxIndexKeys, () => SeenModelOf(org), ct);
            }
            finally
            {
                // The next listing (after the TTL) gets a signal of its own; waiters hold this one's task already.
                _orgSeen.TryRemove(org, out _);
            }

            if (index is null)
            {
                if (_tooLargeLogged.TryAdd(org, true))
                {
                    CoreLog.OrgIndexTooLarge(_logger, org, _options.MaxIndexKeys);
                }

                return (null, _options.ListingTtl, 1);
            }

            CoreLog.OrgIndexed(_logger, org, index.Models.Count, index.KeyCount);
            foreach (var key in index.IgnoredRefKeys)
            {
                RefEntryIgnored(key);
            }

            return (index, _options.ListingTtl, index.KeyCount + 1);
        }, cancellationToken);

    /// <summary>A managed commit from its manifest; content under a commit never changes, so it is kept long.</summary>
    private async Task<ModelRevision?> CommitAsync(string org, string model, string commit, long? manifestSize, CancellationToken cancellationToken) =>
        (ModelRevision?)await _cache.GetAsync($"commit|{org}/{model}/{commit}", async ct =>
        {
            var (manifest, invalid) = await ReadManifestCoreAsync(org, model, commit, manifestSize, ct);
            if (manifest is null)
            {
                if (!invalid)
                {
                    CoreLog.RefWithoutManifest(_logger, org, model, commit);
                }

                return (null, _options.NegativeTtl, 1);
            }

            return (ModelRevision.FromManifest(manifest, _layout), _options.CommitTtl, manifest.Files.Count + 1);
        }, cancellationToken);

    private async Task<(object? Value, TimeSpan Ttl, long Size)> ResolveUncachedAsync(string org, string model, string? revision, CancellationToken ct)
    {
        // Both go through the per-commit entry the organisation index uses too: one manifest GET per commit, whoever asks.
        if (revision is not null && ModelName.IsCommitSha(revision))
        {
            var pinned = await CommitAsync(org, model, revision, null, ct);
            return pinned is null ? (null, _options.NegativeTtl, 1) : (pinned, _options.CommitTtl, pinned.FileCount + 1);
        }

        var commit = await ReadRefAsync(org, model, revision ?? StoreLayout.DefaultRef, ct);
        if (commit is not null)
        {
            var resolved = await CommitAsync(org, model, commit, null, ct);
            return resolved is null ? (null, _options.NegativeTtl, 1) : (resolved, _options.RefTtl, resolved.FileCount + 1);
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
            if (entry.IsPrefix)
            {
                continue;
            }

            if (!StoreLayout.TryParseRefEntry(entry.Key[prefix.Length..], out var sequence, out var sha))
            {
                RefEntryIgnored(entry.Key);
            }
            else if (sequence > best)
            {
                best = sequence;
                commit = sha;
            }
        }

        return commit;
    }

    /// <summary>The manifest of a commit, or null when it is missing or invalid (logged). size: the manifest's size when a
    /// listing showed it (then no HEAD is needed), else null.</summary>
    public async Task<Manifest?> ReadManifestAsync(string org, string model, string commit, long? size, CancellationToken ct) =>
        (await ReadManifestCoreAsync(org, model, commit, size, ct)).Manifest;

    /// <summary>The manifest, or null and whether that is because it is invalid (logged once per key) rather than missing.</summary>
    private async Task<(Manifest? Manifest, bool Invalid)> ReadManifestCoreAsync(string org, string model, string commit, long? size, CancellationToken ct)
    {
        var key = _layout.ManifestKey(org, model, commit);
        size ??= (await _store.HeadAsync(key, ct))?.Size;
        if (size is null)
        {
            return (null, false);
        }

        if (size > MaxManifestBytes)
        {
            return Invalid(key, $"{size} bytes, more than the {MaxManifestBytes} a manifest may have");
        }

        var buffer = new byte[size.Value];
        try
        {
            await _store.ReadRangeAsync(key, 0, buffer, null, ct);
        }
        catch (StoreException ex) when (ex.Kind == StoreErrorKind.NotFound)
        {
            // Listed a moment ago, deleted since (`hcpmodelfs rm`): the revision is gone.
            return (null, false);
        }

        try
        {
            var manifest = JsonSerializer.Deserialize(buffer, ManifestJsonContext.Default.Manifest);
            return ManifestValidator.Problem(manifest, org, model, commit) is { } problem ? Invalid(key, problem) : (manifest, false);
        }
        catch (JsonException ex)
        {
            return Invalid(key, ex.Message);
        }
    }

    /// <summary>A manifest key is written once, so its being invalid is logged once (the first 1000 such keys).</summary>
    private (Manifest?, bool) Invalid(string key, string reason)
    {
        if (_invalidLogged.Count < 1000 && _invalidLogged.TryAdd(key, true))
        {
            CoreLog.ManifestInvalid(_logger, key, reason);
        }

        return (null, true);
    }

    /// <summary>Logs a ref-log key that is not an entry once per daemon (bounded: a store full of them logs the first 1000).</summary>
    private void RefEntryIgnored(string key)
    {
        if (_ignoredRefsLogged.Count < 1000 && _ignoredRefsLogged.TryAdd(key, true))
        {
            CoreLog.RefEntryIgnored(_logger, key);
        }
    }

    private async Task<ModelRevision?> ListPlainAsync(string org, string model, CancellationToken ct)
    {
        var prefix = _layout.ModelPrefix(org, model);
        var folder = new PlainFolder();
        await foreach (var entry in _store.ListAsync(prefix, null, ct))
        {
            folder.Add(entry.Key[prefix.Length..], entry);
            if (folder.Managed)
            {
                // Managed, but no ref yet (an ingest in progress or abandoned): nothing to serve.
                return null;
            }
        }

        return folder.Build(org, model);
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
