using System.Collections.Concurrent;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.FileSystem;

/*
 * Node ids for the kernel. A node lives while the kernel holds lookups on it (LOOKUP and READDIRPLUS add one,
 * FORGET removes them); the root lives for ever. Ids are dense from 2 upward and never reused, so (nodeid,
 * generation 0) is unique for the mount's life and st_ino stays small (32-bit tools are happy below 2^31).
 * Lookup and forget race on different reader threads: the count is taken under the table lock together with the
 * map update, so a node is never dropped while a concurrent lookup is handing it out.
 */
internal sealed class InodeTable
{
    private readonly ConcurrentDictionary<ulong, FsNode> _byId = new();
    private readonly Dictionary<string, FsNode> _byKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _next = 1;

    public InodeTable()
    {
        Root = new FsNode(1, "/", FsNodeKind.Root, string.Empty, null, null, null);
        _byId[1] = Root;
    }

    public FsNode Root { get; }

    public int Count => _byId.Count;

    public FsNode? Get(ulong id) => _byId.TryGetValue(id, out var node) ? node : null;

    /// <summary>The node for <paramref name="key"/>, created by <paramref name="create"/> if new; counts one lookup when asked.</summary>
    public FsNode Acquire(string key, Func<ulong, FsNode> create, bool countLookup)
    {
        lock (_lock)
        {
            if (!_byKey.TryGetValue(key, out var node))
            {
                node = create((ulong)Interlocked.Increment(ref _next));
                _byKey[key] = node;
                _byId[node.Id] = node;
            }

            if (countLookup)
            {
                node.AddLookup();
            }

            return node;
        }
    }

    public void Forget(ulong id, ulong count)
    {
        if (id == 1)
        {
            return;
        }

        lock (_lock)
        {
            if (_byId.TryGetValue(id, out var node) && node.Forget(count))
            {
                _byId.TryRemove(id, out _);
                _byKey.Remove(node.Key);
            }
        }
    }

    public static string KeyFor(ModelRevision revision, string entryName, string path) =>
        $"{revision.Org}/{entryName}#{revision.Identity}/{path}";
}
