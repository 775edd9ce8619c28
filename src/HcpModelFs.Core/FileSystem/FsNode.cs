using System.Diagnostics;
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
    private long _reads;
    private int _opens;
    private volatile bool _passthrough;
    private long _timedOutAt;

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

    /// <summary>READs the daemon served for this file since the mount (user.hcpmodelfs.reads).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Whether the latest open of this file was answered with FUSE passthrough (user.hcpmodelfs.passthrough).</summary>
    public bool Passthrough
    {
        get => _passthrough;
        set => _passthrough = value;
    }

    public void CountRead() => Interlocked.Increment(ref _reads);

    /// <summary>Open handles of this file right now (user.hcpmodelfs.opens; RELEASE arrives after close(2) returns).</summary>
    public int Opens => Volatile.Read(ref _opens);

    public void Opened() => Interlocked.Increment(ref _opens);

    public void Released() => Interlocked.Decrement(ref _opens);

    /// <summary>Whether a waiting READ of this file ran out of time less than the limit ago (and none succeeded since).</summary>
    public bool TimedOutWithin(RequestLimit limit) =>
        Volatile.Read(ref _timedOutAt) is var at and not 0 && limit.Limit is { } span && Stopwatch.GetElapsedTime(at) < span;

    public void WaitTimedOut() => Volatile.Write(ref _timedOutAt, Stopwatch.GetTimestamp());

    /// <summary>A waiting READ got its bytes: the file's reads wait again (a plain read while nothing timed out).</summary>
    public void WaitSucceeded()
    {
        if (Volatile.Read(ref _timedOutAt) != 0)
        {
            Volatile.Write(ref _timedOutAt, 0);
        }
    }
}
