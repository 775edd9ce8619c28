using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.FileSystem;

/// <summary>What a node is: the root, an organisation, a directory inside a revision (its root = the model), or a file.</summary>
internal enum FsNodeKind
{
    Root,
    Organization,
    Directory,
    File,
}

/// <summary>
/// One inode. Nodes are immutable once created; the same key (kind + names + commit + path) always maps to the same
/// node while the kernel holds a lookup on it, so inode numbers are stable.
/// </summary>
internal sealed class FsNode
{
    private long _lookups;

    public FsNode(ulong id, string key, FsNodeKind kind, string org, ModelRevision? revision, RevisionDirectory? directory, RevisionFile? file, string entryName = "")
    {
        EntryName = entryName;
        Id = id;
        Key = key;
        Kind = kind;
        Org = org;
        Revision = revision;
        Directory = directory;
        File = file;
    }

    public ulong Id { get; }

    public string Key { get; }

    public FsNodeKind Kind { get; }

    public string Org { get; }

    /// <summary>The name under the organisation this node was reached by ("model" or "model@rev"); empty above it.</summary>
    public string EntryName { get; }

    public ModelRevision? Revision { get; }

    public RevisionDirectory? Directory { get; }

    public RevisionFile? File { get; }

    public long Lookups => Interlocked.Read(ref _lookups);

    public void AddLookup() => Interlocked.Increment(ref _lookups);

    /// <summary>Drops <paramref name="count"/> lookups; true when none are left.</summary>
    public bool Forget(ulong count) => Interlocked.Add(ref _lookups, -(long)count) <= 0;
}
