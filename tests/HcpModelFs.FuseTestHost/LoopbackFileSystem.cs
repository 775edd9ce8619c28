using System.Collections.Concurrent;
using System.Text;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// Mirrors a real directory read-only: the reference for "does our FUSE layer show exactly what the kernel would",
/// and the filesystem of the bench/fuse comparison with fuse-overlayfs. Reads are pread(2) straight into the
/// session's reply buffer.
/// With passthrough, OPEN of a regular file names the underlying file as backing file, so reads never reach us. The
/// kernel's rules decide the bookkeeping: one backing id per node, shared by its concurrent opens and closed with the
/// last of them; a node with a cached open outstanding (its registration failed) is not switched to passthrough.
/// </summary>
internal sealed class LoopbackFileSystem : FuseFileSystemBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<ulong, Node> _nodes = new();
    private readonly ConcurrentDictionary<string, Node> _byPath = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, OpenFile> _files = new();
    private readonly ConcurrentDictionary<ulong, string[]> _listings = new();
    private readonly bool _passthrough;
    private readonly Action<string> _announce;
    private IFuseBackingFiles? _backingFiles;
    private int _refusalAnnounced;
    private long _nextNode = 1;
    private long _nextHandle;

    public LoopbackFileSystem(string source, bool passthrough = false, Action<string>? announce = null)
    {
        _passthrough = passthrough;
        _announce = announce ?? (_ => { });
        var root = new Node(1, Path.GetFullPath(source));
        _nodes[1] = root;
        _byPath[root.Path] = root;
        root.Lookups = long.MaxValue / 2; // Never forgotten.
    }

    public override void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier) => _backingFiles = connection.BackingFiles;

    public override ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (!_nodes.TryGetValue(parent.Value, out var dir))
        {
            return ValueTask.FromResult<FuseResult<FuseEntry>>(Errno.ENOENT);
        }

        var path = Path.Combine(dir.Path, Encoding.UTF8.GetString(name.Span));
        var info = Stat(path);
        if (info is null)
        {
            return ValueTask.FromResult<FuseResult<FuseEntry>>(Errno.ENOENT);
        }

        var node = Acquire(path);
        return ValueTask.FromResult<FuseResult<FuseEntry>>(new FuseEntry
        {
            Node = new NodeId(node.Id),
            EntryTimeout = Timeout,
            AttrTimeout = Timeout,
            Attributes = Attributes(node.Id, info),
        });
    }

    public override void Forget(NodeId node, ulong lookups)
    {
        if (_nodes.TryGetValue(node.Value, out var n) && Interlocked.Add(ref n.Lookups, -(long)lookups) <= 0 && node.Value != 1)
        {
            _nodes.TryRemove(node.Value, out _);
            _byPath.TryRemove(new KeyValuePair<string, Node>(n.Path, n));
        }
    }

    public override ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseAttrReply>>(
            _nodes.TryGetValue(node.Value, out var n) && Stat(n.Path) is { } info
                ? new FuseAttrReply(Attributes(n.Id, info), Timeout)
                : Errno.ENOENT);

    public override ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (!_nodes.TryGetValue(node.Value, out var n))
        {
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(Errno.ENOENT);
        }

        try
        {
            var handle = File.OpenHandle(n.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var id = (ulong)Interlocked.Increment(ref _nextHandle);
            var backingId = Attach(n, handle);
            _files[id] = new OpenFile(handle, n, backingId != 0);

            // Passthrough opens use the backing file's page cache; the session would drop KEEP_CACHE anyway.
            var openFlags = backingId != 0 ? FuseOpenFlags.None : FuseOpenFlags.KeepCache;
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(new FuseOpenReply(new FileHandle(id), openFlags, backingId));
        }
        catch (UnauthorizedAccessException)
        {
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(Errno.EACCES);
        }
        catch (IOException)
        {
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(Errno.EIO);
        }
    }

    public override ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(handle.Value, out var open))
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.EBADF);
        }

        var file = open.Handle;

        // pread until the buffer is full or the file ends: a short reply mid-file would read as EOF to the kernel.
        var total = 0;
        var span = destination.Span;
        while (total < span.Length)
        {
            var n = RandomAccess.Read(file, span[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return ValueTask.FromResult<FuseResult<int>>(total);
    }

    public override ValueTask ReleaseAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken)
    {
        if (_files.TryRemove(handle.Value, out var file))
        {
            Detach(file);
            file.Handle.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    public override ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (!_nodes.TryGetValue(node.Value, out var n) || !Directory.Exists(n.Path))
        {
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(Errno.ENOTDIR);
        }

        // Snapshot at open so cookies stay valid across the many READDIRs of one listing.
        var names = Directory.EnumerateFileSystemEntries(n.Path).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        var id = (ulong)Interlocked.Increment(ref _nextHandle);
        _listings[id] = names;
        return ValueTask.FromResult<FuseResult<FuseOpenReply>>(new FuseOpenReply(new FileHandle(id), FuseOpenFlags.None));
    }

    public override ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken)
    {
        if (!_listings.TryGetValue(handle.Value, out var names) || !_nodes.TryGetValue(node.Value, out var dir))
        {
            return ValueTask.FromResult(Errno.EBADF);
        }

        for (var i = (int)offset; i < names.Length; i++)
        {
            var path = Path.Combine(dir.Path, names[i]);
            if (Stat(path) is not { } info)
            {
                continue; // Removed since the snapshot: skip it, its cookie still advances.
            }

            if (writer.IsPlus)
            {
                var child = Acquire(path, countLookup: false);
                var entry = new FuseEntry { Node = new NodeId(child.Id), EntryTimeout = Timeout, AttrTimeout = Timeout, Attributes = Attributes(child.Id, info) };
                if (!writer.TryAdd(Encoding.UTF8.GetBytes(names[i]), entry, (ulong)i + 1))
                {
                    break;
                }

                Interlocked.Increment(ref child.Lookups);
            }
            else
            {
                // Same inode number as a LOOKUP would give, without counting a lookup.
                var entry = new FuseEntry { Attributes = Attributes(Acquire(path, countLookup: false).Id, info) };
                if (!writer.TryAdd(Encoding.UTF8.GetBytes(names[i]), entry, (ulong)i + 1))
                {
                    break;
                }
            }
        }

        return ValueTask.FromResult(Errno.Success);
    }

    public override ValueTask ReleaseDirAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken)
    {
        _listings.TryRemove(handle.Value, out _);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<FuseResult<int>> ReadLinkAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (!_nodes.TryGetValue(node.Value, out var n) || new FileInfo(n.Path).LinkTarget is not { } target)
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.EINVAL);
        }

        var bytes = Encoding.UTF8.GetBytes(target);
        if (bytes.Length > destination.Length)
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.ENAMETOOLONG);
        }

        bytes.CopyTo(destination.Span);
        return ValueTask.FromResult<FuseResult<int>>(bytes.Length);
    }

    /// <summary>Counts one open of <paramref name="node"/>; returns the backing id when it is a passthrough open, else 0.</summary>
    private int Attach(Node node, SafeFileHandle handle)
    {
        lock (node.Gate)
        {
            if (_passthrough && node.BackingId == 0 && node.CachedOpens == 0 && _backingFiles is { IsAvailable: true } backing)
            {
                var registered = backing.Open(handle);
                if (registered.IsSuccess)
                {
                    node.BackingId = registered.Value;
                }
                else if (Interlocked.Exchange(ref _refusalAnnounced, 1) == 0)
                {
                    _announce("PASSTHROUGH_REFUSED " + registered.Error);
                }
            }

            if (node.BackingId != 0)
            {
                node.PassthroughOpens++;
                return node.BackingId;
            }

            node.CachedOpens++;
            return 0;
        }
    }

    private void Detach(OpenFile file)
    {
        var node = file.Node;
        lock (node.Gate)
        {
            if (!file.Passthrough)
            {
                node.CachedOpens--;
                return;
            }

            // RELEASE comes after the kernel let go of the open, so the id is no longer needed once the last one is gone.
            if (--node.PassthroughOpens == 0)
            {
                _ = _backingFiles!.Close(node.BackingId);
                node.BackingId = 0;
            }
        }
    }

    private Node Acquire(string path, bool countLookup = true)
    {
        var node = _byPath.GetOrAdd(path, p =>
        {
            var created = new Node((ulong)Interlocked.Increment(ref _nextNode), p);
            _nodes[created.Id] = created;
            return created;
        });
        if (countLookup)
        {
            Interlocked.Increment(ref node.Lookups);
        }

        return node;
    }

    private static FileSystemInfo? Stat(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        if (!info.Exists)
        {
            info = new DirectoryInfo(path);
        }

        return info.Exists || info.LinkTarget is not null ? info : null;
    }

    private static FuseAttributes Attributes(ulong ino, FileSystemInfo info)
    {
        var permissions = (uint)info.UnixFileMode & 0x1FF & 0x16D; // read-only view: drop the write bits
        var mtime = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
        if (info.LinkTarget is not null)
        {
            return new FuseAttributes { Ino = ino, Mode = FuseConstants.SIfLnk | 0x1FF, NLink = 1, Size = Encoding.UTF8.GetByteCount(info.LinkTarget), ModifiedTime = mtime };
        }

        return info is DirectoryInfo
            ? FuseAttributes.Directory(ino, mtime, permissions)
            : FuseAttributes.File(ino, ((FileInfo)info).Length, mtime, permissions);
    }

    private sealed class Node(ulong id, string path)
    {
        public ulong Id { get; } = id;

        public string Path { get; } = path;

        public Lock Gate { get; } = new();

        /// <summary>Registered backing file while passthrough opens are outstanding, else 0 (under <see cref="Gate"/>).</summary>
        public int BackingId { get; set; }

        public int PassthroughOpens { get; set; }

        public int CachedOpens { get; set; }

#pragma warning disable SA1401, CA1051 // Interlocked needs a field.
        public long Lookups;
#pragma warning restore SA1401, CA1051
    }

    private sealed record OpenFile(SafeFileHandle Handle, Node Node, bool Passthrough);
}
