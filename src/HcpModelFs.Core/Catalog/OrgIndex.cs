using HcpModelFs.Core.Naming;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Catalog;

/*
 * Every key of one organisation from one recursive listing (prefix LIST without delimiter, 1000 keys a page): the
 * model names, the whole tree of every plain folder, and the ref logs of managed models. A `find` over the
 * organisation then costs keys/1000 store requests instead of a few per model. What the index does not know (a model
 * that appeared after it was listed, a ref written since) is left to the per-model path, so a direct lookup of a new
 * model is not delayed by the listing's lifetime.
 */
public sealed class OrgIndex
{
    private readonly Dictionary<string, ModelEntry> _models;
    private int _walked;
    private int _warmUpStarted;

    private OrgIndex(string org, Dictionary<string, ModelEntry> models, int keyCount, IReadOnlyList<string> ignoredRefKeys)
    {
        Org = org;
        IgnoredRefKeys = ignoredRefKeys;
        _models = models;
        KeyCount = keyCount;
        Models = [.. models.Keys.Order(StringComparer.Ordinal)];
    }

    public string Org { get; }

    /// <summary>Valid model names with at least one key, in byte order (managed and plain alike).</summary>
    public IReadOnlyList<string> Models { get; }

    public int KeyCount { get; }

    /// <summary>Keys in a ref log that are not "&lt;seq&gt;-&lt;sha&gt;" (another writer's mistake), ignored; at most 100.</summary>
    public IReadOnlyList<string> IgnoredRefKeys { get; }

    /// <summary>The plain folder <paramref name="model"/> as listed, or null when it is not one (or has no files).</summary>
    public ModelRevision? Plain(string model) => _models.TryGetValue(model, out var entry) ? entry.Plain : null;

    /// <summary>Whether <paramref name="model"/> has keys of the managed layout.</summary>
    public bool IsManaged(string model) => _models.TryGetValue(model, out var entry) && entry.Refs is not null;

    /// <summary>The commit of the newest entry of ref <paramref name="refName"/> of a managed model, if listed.</summary>
    public string? Ref(string model, string refName) =>
        _models.TryGetValue(model, out var entry) && entry.Refs is { } refs && refs.TryGetValue(Uri.EscapeDataString(refName), out var best)
            ? best.Commit
            : null;

    /// <summary>Whether the organisation's directory was read (a walk such as `find` or `ls -l` is likely under way).</summary>
    internal bool Walked => Volatile.Read(ref _walked) != 0;

    internal void MarkWalked() => Volatile.Write(ref _walked, 1);

    /// <summary>True for the one caller that should read the managed models' manifests in bulk.</summary>
    internal bool TryStartManifestWarmUp() => Interlocked.Exchange(ref _warmUpStarted, 1) == 0;

    /// <summary>The size of a listed manifest, so reading it needs no HEAD first.</summary>
    public long? ManifestSize(string model, string commit) =>
        _models.TryGetValue(model, out var entry) && entry.Manifests is { } sizes && sizes.TryGetValue(commit, out var size) ? size : null;

    /// <summary>Managed models with a default revision, in listing order, and its commit.</summary>
    internal IEnumerable<(string Model, string Commit)> DefaultCommits()
    {
        foreach (var model in Models)
        {
            if (Ref(model, StoreLayout.DefaultRef) is { } commit)
            {
                yield return (model, commit);
            }
        }
    }

    /// <summary>
    /// Lists every key below the organisation; null when there are more than <paramref name="maxKeys"/> (memory is
    /// bounded: the caller falls back to per-model listings). <paramref name="firstModel"/> is called once, as soon as
    /// a key of a model has been listed (the organisation exists).
    /// </summary>
    public static async Task<OrgIndex?> LoadAsync(
        IObjectStore store, StoreLayout layout, string org, int maxKeys, Action? firstModel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        var builder = new Builder(org, layout.OrgPrefix(org));
        await foreach (var entry in store.ListAsync(layout.OrgPrefix(org), null, cancellationToken))
        {
            if (builder.KeyCount >= maxKeys)
            {
                return null;
            }

            builder.Add(entry);
            if (firstModel is not null && builder.ModelCount > 0)
            {
                firstModel();
                firstModel = null;
            }
        }

        return builder.Build();
    }

    /// <summary>Builds an index from keys in byte order, as a recursive LIST returns them.</summary>
    internal sealed class Builder(string org, string orgPrefix)
    {
        private const int MaxIgnoredRefKeys = 100;
        private readonly Dictionary<string, ModelKeys> _models = new(StringComparer.Ordinal);
        private readonly List<string> _ignoredRefKeys = [];

        public int KeyCount { get; private set; }

        public int ModelCount => _models.Count;

        public void Add(ListEntry entry)
        {
            ArgumentNullException.ThrowIfNull(entry);
            KeyCount++;
            if (entry.IsPrefix || !entry.Key.StartsWith(orgPrefix, StringComparison.Ordinal))
            {
                return;
            }

            var rest = entry.Key.AsSpan(orgPrefix.Length);
            var slash = rest.IndexOf('/');
            if (slash <= 0)
            {
                // An object directly below the organisation is no model (a delimiter listing shows no prefix for it).
                return;
            }

            var name = rest[..slash].ToString();
            if (!ModelName.IsValid(name))
            {
                return;
            }

            if (!_models.TryGetValue(name, out var model))
            {
                model = new ModelKeys();
                _models[name] = model;
            }

            var path = rest[(slash + 1)..].ToString();
            model.Folder.Add(path, entry);
            if (!AddRef(model.Refs, path) && _ignoredRefKeys.Count < MaxIgnoredRefKeys)
            {
                _ignoredRefKeys.Add(entry.Key);
            }

            AddManifest(model.Manifests, path, entry.Size);
        }

        public OrgIndex Build() => new(
            org,
            _models.ToDictionary(
                m => m.Key,
                m => m.Value.Folder.Managed
                    ? new ModelEntry(null, m.Value.Refs, m.Value.Manifests)
                    : new ModelEntry(m.Value.Folder.Build(org, m.Key), null, null),
                StringComparer.Ordinal),
            KeyCount,
            [.. _ignoredRefKeys]);

        // <model>/<sha>/.hcpmodelfs/manifest.json
        private static void AddManifest(Dictionary<string, long> manifests, string path, long size)
        {
            const string Suffix = "/" + StoreLayout.MetaFolder + "/manifest.json";
            var cut = path.Length - Suffix.Length;
            if (cut > 0 && path.EndsWith(Suffix, StringComparison.Ordinal) && path.IndexOf('/', StringComparison.Ordinal) == cut)
            {
                manifests[path[..cut]] = size;
            }
        }

        // <model>/.hcpmodelfs/refs/<encoded name>/<seq>-<sha>: the highest sequence of each ref wins. False for a
        // key in the ref log that is not an entry.
        private static bool AddRef(Dictionary<string, (long Sequence, string Commit)> refs, string path)
        {
            const string RefsFolder = StoreLayout.MetaFolder + "/refs/";
            if (!path.StartsWith(RefsFolder, StringComparison.Ordinal))
            {
                return true;
            }

            var rest = path[RefsFolder.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || rest.IndexOf('/', slash + 1) >= 0 ||
                !StoreLayout.TryParseRefEntry(rest[(slash + 1)..], out var sequence, out var commit))
            {
                return false;
            }

            var name = rest[..slash];
            if (!refs.TryGetValue(name, out var best) || sequence > best.Sequence)
            {
                refs[name] = (sequence, commit);
            }

            return true;
        }
    }

    /// <summary>A plain folder's revision (null when it has nothing to serve), or a managed model's refs and manifest sizes.</summary>
    private sealed record ModelEntry(ModelRevision? Plain, Dictionary<string, (long Sequence, string Commit)>? Refs, Dictionary<string, long>? Manifests);

    private sealed class ModelKeys
    {
        public PlainFolder Folder { get; } = new();

        public Dictionary<string, (long Sequence, string Commit)> Refs { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> Manifests { get; } = new(StringComparer.Ordinal);
    }
}
