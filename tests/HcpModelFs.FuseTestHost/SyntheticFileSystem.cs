using System.Text;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// Serves <see cref="SyntheticTree"/>: nested directories, odd sizes, a 3 GiB file generated on the fly, a
/// 10,000-entry directory, long and UTF-8 names, and a file whose READs stall until interrupted.
/// </summary>
internal sealed class SyntheticFileSystem : FuseFileSystemBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset MTime = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly List<TreeNode> _nodes = [];
    private readonly Action<string> _announce;
    private IFuseNotifier? _notifier;
    private int _generation;

    public SyntheticFileSystem(Action<string> announce)
    {
        _announce = announce;
        var root = Add("", null, true);
        foreach (var (path, size, seed) in SyntheticTree.Files)
        {
            var parts = path.Split('/');
            var dir = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                dir = dir.ByName.TryGetValue(parts[i], out var existing) ? existing : Add(parts[i], dir, true);
            }

            Add(parts[^1], dir, false, size, seed);
        }

        Add(SyntheticTree.GenerationFile, root, false, SyntheticTree.GenerationText(0).Length, 0);
        Add(SyntheticTree.PushedFile, root, false, SyntheticTree.PushedSize, 20);
        _late = new TreeNode((ulong)_nodes.Count + 1, SyntheticTree.LateFile, root, false, 3, 21);
        _nodes.Add(_late);
    }

    private readonly TreeNode _late;
    private volatile bool _lateVisible;

    public override void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier) => _notifier = notifier;

    /// <summary>
    /// Changes the tree and tells the kernel, from outside any request handler (notifications take inode locks):
    /// bumps generation.txt (INVAL_INODE), pushes pushed.bin into the page cache (STORE), makes late.txt appear
    /// (INVAL_ENTRY of its cached negative entry).
    /// </summary>
    public string Notify()
    {
        var notifier = _notifier ?? throw new InvalidOperationException("Not initialised.");
        Interlocked.Increment(ref _generation);
        var root = _nodes[0];
        var inval = notifier.InvalidateInode(new NodeId(root.ByName[SyntheticTree.GenerationFile].Id), 0, 0);
        var pushed = root.ByName[SyntheticTree.PushedFile];
        var data = new byte[SyntheticTree.PushedSize];
        SyntheticContent.Fill(pushed.Seed, 0, data);
        var store = notifier.Store(new NodeId(pushed.Id), 0, data);
        _lateVisible = true;
        var entry = notifier.InvalidateEntry(NodeId.Root, System.Text.Encoding.UTF8.GetBytes(SyntheticTree.LateFile));
        return $"NOTIFIED inval_inode={inval} store={store} inval_entry={entry}";
    }
    public override ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (Get(parent) is not { IsDirectory: true } dir)
        {
            return ValueTask.FromResult<FuseResult<FuseEntry>>(Errno.ENOTDIR);
        }

        if (name.Length > 255)
        {
            // The kernel lets names up to 1024 bytes through to FUSE; like ext4, refuse what statfs says cannot exist.
            return ValueTask.FromResult<FuseResult<FuseEntry>>(Errno.ENAMETOOLONG);
        }

        var text = Encoding.UTF8.GetString(name.Span);
        if (dir.Id == 1 && text == SyntheticTree.LateFile)
        {
            // Until it appears, the kernel may cache the miss for a minute: only INVAL_ENTRY can make it visible sooner.
            return ValueTask.FromResult<FuseResult<FuseEntry>>(_lateVisible ? Entry(_late) : FuseEntry.Negative(Timeout));
        }

        return ValueTask.FromResult<FuseResult<FuseEntry>>(
            dir.ByName.TryGetValue(text, out var child) ? Entry(child) : Errno.ENOENT);
    }

    public override ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseAttrReply>>(
            Get(node) is { } n ? new FuseAttrReply(Attributes(n), Timeout) : Errno.ENOENT);

    public override ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseOpenReply>>(Get(node) switch
        {
            null => Errno.ENOENT,
            { IsDirectory: true } => Errno.EISDIR,
            _ => new FuseOpenReply(new FileHandle(node.Value), FuseOpenFlags.KeepCache),
        });

    public override async ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (Get(node) is not { IsDirectory: false } file)
        {
            return Errno.EBADF;
        }

        if (file.Name == SyntheticTree.StallFile)
        {
            _announce("STALL " + node.Value);
            await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
        }

        var count = (int)Math.Clamp(file.Size - offset, 0, destination.Length);
        if (file.Name == SyntheticTree.GenerationFile)
        {
            var text = Encoding.ASCII.GetBytes(SyntheticTree.GenerationText(Volatile.Read(ref _generation)));
            text.AsSpan((int)offset, count).CopyTo(destination.Span);
            return count;
        }

        SyntheticContent.Fill(file.Seed, offset, destination.Span[..count]);
        return count;
    }

    public override ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseOpenReply>>(Get(node) switch
        {
            null => Errno.ENOENT,
            { IsDirectory: false } => Errno.ENOTDIR,
            _ => new FuseOpenReply(new FileHandle(node.Value), FuseOpenFlags.KeepCache | FuseOpenFlags.CacheDir),
        });

    public override ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (Get(node) is not { IsDirectory: true } dir)
        {
            return ValueTask.FromResult(Errno.ENOTDIR);
        }

        // Cookie i+1 resumes after entry i of ".", "..", children...: stable because the tree never changes.
        for (var i = (int)offset; i < dir.Children.Count + 2; i++)
        {
            var added = i switch
            {
                0 => writer.TryAdd("."u8, DotEntry(dir), 1),
                1 => writer.TryAdd(".."u8, DotEntry(dir.Parent), 2),
                _ => writer.TryAdd(dir.Children[i - 2].NameBytes, Entry(dir.Children[i - 2]), (ulong)i + 1),
            };
            if (!added)
            {
                break;
            }
        }

        return ValueTask.FromResult(Errno.Success);
    }

    public override ValueTask<FuseResult<FuseStatFs>> StatFsAsync(NodeId node, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseStatFs>>(new FuseStatFs
        {
            BlockSize = 4096,
            Blocks = 1 << 20,
            Files = (ulong)_nodes.Count,
            NameMax = 255,
        });

    private TreeNode Add(string name, TreeNode? parent, bool isDirectory, long size = 0, ulong seed = 0)
    {
        var node = new TreeNode((ulong)_nodes.Count + 1, name, parent, isDirectory, size, seed);
        _nodes.Add(node);
        if (parent is not null)
        {
            parent.Children.Add(node);
            parent.ByName.Add(name, node);
        }

        return node;
    }

    private TreeNode? Get(NodeId node) => node.Value >= 1 && node.Value <= (ulong)_nodes.Count ? _nodes[(int)node.Value - 1] : null;

    private static FuseAttributes Attributes(TreeNode n) =>
        n.IsDirectory ? FuseAttributes.Directory(n.Id, MTime) : FuseAttributes.File(n.Id, n.Size, MTime);

    private static FuseEntry Entry(TreeNode n) =>
        new() { Node = new NodeId(n.Id), EntryTimeout = Timeout, AttrTimeout = Timeout, Attributes = Attributes(n) };

    // "." and ".." carry no node in READDIRPLUS (nodeid 0 = no attributes), so they never count as lookups.
    private static FuseEntry DotEntry(TreeNode n) => new() { Attributes = Attributes(n) };
}
