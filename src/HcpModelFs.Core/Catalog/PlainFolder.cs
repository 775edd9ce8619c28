using HcpModelFs.Core.Cache;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Catalog;

/*
 * The objects of one model folder, fed in key order from a recursive listing, turned into what the filesystem serves.
 * A folder with any .hcpmodelfs/ key is managed (served from its manifest, never as a plain folder). Folder markers
 * ("a/") and names the filesystem cannot show are skipped; a key that is both an object and a prefix of other keys
 * ("a" and "a/b") shows as the directory, as s3fs and rclone do, since one name cannot be both.
 */
internal sealed class PlainFolder
{
    private readonly List<RevisionFile> _files = [];
    private DateTimeOffset _newest = DateTimeOffset.MinValue;

    /// <summary>Whether a key of the managed layout was seen: the folder is not plain.</summary>
    public bool Managed { get; private set; }

    public int KeyCount { get; private set; }

    /// <summary>Adds an object whose key is <paramref name="path"/> below the model folder.</summary>
    public void Add(string path, ListEntry entry)
    {
        KeyCount++;
        if (Managed)
        {
            return;
        }

        if (path.StartsWith(StoreLayout.MetaFolder + "/", StringComparison.Ordinal) ||
            path.Contains("/" + StoreLayout.MetaFolder + "/", StringComparison.Ordinal))
        {
            Managed = true;
            _files.Clear();
            return;
        }

        if (entry.IsPrefix || path.EndsWith('/') || !RelativePath.IsValid(path))
        {
            return;
        }

        _files.Add(new RevisionFile(path, path[(path.LastIndexOf('/') + 1)..], entry.Size, new CacheObjectId(entry.Key, entry.ETag, entry.Size)));
        if (entry.LastModified > _newest)
        {
            _newest = entry.LastModified;
        }
    }

    /// <summary>The folder as a revision, or null when it is managed or has nothing to serve.</summary>
    public ModelRevision? Build(string org, string model)
    {
        if (Managed || _files.Count == 0)
        {
            return null;
        }

        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in _files)
        {
            for (var cut = file.Path.IndexOf('/', StringComparison.Ordinal); cut > 0; cut = file.Path.IndexOf('/', cut + 1))
            {
                directories.Add(file.Path[..cut]);
            }
        }

        var served = directories.Count == 0 ? _files : _files.Where(f => !directories.Contains(f.Path)).ToList();
        return new ModelRevision(org, model, "plain", immutable: false, served, _newest);
    }
}
