using HcpModelFs.Core.Naming;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Catalog;

/// <summary>
/// What the store holds of one model beyond its default revision, for the operator commands (<c>ls</c>, <c>info</c>,
/// <c>rm</c>): the ref log entries and the commits that have a revision folder.
/// </summary>
public sealed class ModelInventory
{
    private readonly IObjectStore _store;
    private readonly StoreLayout _layout;

    public ModelInventory(IObjectStore store, StoreLayout layout)
    {
        _store = store;
        _layout = layout;
    }

    /// <summary>Every ref log entry of the model, by ref name then sequence.</summary>
    public async Task<IReadOnlyList<RefEntry>> ListRefEntriesAsync(string org, string model, CancellationToken cancellationToken)
    {
        var prefix = RefsRoot(org, model);
        var entries = new List<RefEntry>();
        await foreach (var entry in _store.ListAsync(prefix, null, cancellationToken))
        {
            var rest = entry.Key[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && StoreLayout.TryParseRefEntry(rest[(slash + 1)..], out var sequence, out var commit))
            {
                entries.Add(new RefEntry(Uri.UnescapeDataString(rest[..slash]), sequence, commit, entry.Key));
            }
        }

        entries.Sort(static (a, b) => a.Name == b.Name ? a.Sequence.CompareTo(b.Sequence) : string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    /// <summary>Each ref's current commit (its entry with the highest sequence).</summary>
    public static IReadOnlyDictionary<string, string> CurrentRefs(IEnumerable<RefEntry> entries) =>
        entries.GroupBy(e => e.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(e => e.Sequence)!.Commit, StringComparer.Ordinal);

    /// <summary>Commits that have a folder under the model (complete or not; a manifest says which).</summary>
    public async Task<IReadOnlyList<string>> ListCommitFoldersAsync(string org, string model, CancellationToken cancellationToken)
    {
        var prefix = _layout.ModelPrefix(org, model);
        var commits = new List<string>();
        await foreach (var entry in _store.ListAsync(prefix, "/", cancellationToken))
        {
            var name = entry.Key[prefix.Length..].TrimEnd('/');
            if (entry.IsPrefix && ModelName.IsCommitSha(name))
            {
                commits.Add(name);
            }
        }

        return commits;
    }

    /// <summary>Every key below the model (or below one revision of it), for removal.</summary>
    public async Task<IReadOnlyList<string>> ListKeysAsync(string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var entry in _store.ListAsync(prefix, null, cancellationToken))
        {
            if (!entry.IsPrefix)
            {
                keys.Add(entry.Key);
            }
        }

        return keys;
    }

    public string RefsRoot(string org, string model) => $"{_layout.ModelPrefix(org, model)}{StoreLayout.MetaFolder}/refs/";
}

/// <summary>One entry of a ref log: ref <paramref name="Name"/> pointed at <paramref name="Commit"/> from <paramref name="Sequence"/> on.</summary>
public sealed record RefEntry(string Name, long Sequence, string Commit, string Key);
