using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Catalog;

/// <summary>
/// A resolved revision of a model: its file tree and whether it is immutable (a managed commit, cacheable for ever)
/// or a plain folder of objects (listed from the store, short cache times).
/// </summary>
public sealed class ModelRevision
{
    public ModelRevision(string org, string model, string commit, bool immutable, IEnumerable<RevisionFile> files, DateTimeOffset modified)
    {
        Org = org;
        Model = model;
        Commit = commit;
        Immutable = immutable;
        Modified = modified;
        Root = new RevisionDirectory(string.Empty);
        foreach (var file in files)
        {
            var parts = file.Path.Split('/');
            var dir = Root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (!dir.Directories.TryGetValue(parts[i], out var next))
                {
                    next = new RevisionDirectory(string.Join('/', parts[..(i + 1)]));
                    dir.Directories.Add(parts[i], next);
                }

                dir = next;
            }

            dir.Files[parts[^1]] = file;
            TotalSize += file.Size;
            FileCount++;
        }
    }

    private static long s_instances;

    public string Org { get; }

    /// <summary>What identifies this content for inode keys: the commit when immutable, else this resolution only.</summary>
    public string Identity => Immutable ? Commit : Commit + "-" + _instance.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private readonly long _instance = Interlocked.Increment(ref s_instances);

    public string Model { get; }

    /// <summary>Commit sha for managed revisions; "plain" for a plain folder.</summary>
    public string Commit { get; }

    public bool Immutable { get; }

    public DateTimeOffset Modified { get; }

    public RevisionDirectory Root { get; }

    public long TotalSize { get; }

    public int FileCount { get; }

    /// <summary>Set while the store lacks this revision: it is served from the Hub and ingested.</summary>
    public HubOrigin? Hub { get; init; }

    public RevisionDirectory? FindDirectory(string path)
    {
        if (path.Length == 0)
        {
            return Root;
        }

        var dir = Root;
        foreach (var part in path.Split('/'))
        {
            if (!dir.Directories.TryGetValue(part, out dir))
            {
                return null;
            }
        }

        return dir;
    }

    public static ModelRevision FromManifest(Manifest manifest, StoreLayout layout)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(layout);
        var files = manifest.Files.Select(f => new RevisionFile(
            f.Path,
            f.Path[(f.Path.LastIndexOf('/') + 1)..],
            f.Size,
            // Content is pinned by the commit: the cache keys on it, not on the store's ETag format.
            new CacheObjectId(layout.FileKey(manifest.Org, manifest.Model, manifest.Commit, f.Path), manifest.Commit, f.Size, f.Sha256, f.Blocks)));
        return new ModelRevision(manifest.Org, manifest.Model, manifest.Commit, immutable: true, files, manifest.IngestedAt);
    }
}
