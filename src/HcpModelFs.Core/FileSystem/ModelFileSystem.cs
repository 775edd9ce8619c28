using System.Collections.Concurrent;
using System.Text;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Naming;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Fuse;
using HcpModelFs.Store;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.FileSystem;

/*
 * /models as the kernel sees it: a thin adapter from inode operations onto the catalog (names), the block cache
 * (bytes) and the prefetcher (what to fetch next). It owns only node ids and open handles.
 *
 *   /                      organisations in the store            short timeouts (new ones appear)
 *   /<org>/                models of the organisation            short timeouts; model@rev reachable by lookup only
 *   /<org>/<model>/...     files of the resolved revision        managed: immutable, long timeouts, KEEP_CACHE
 *                                                                plain folder: short timeouts, no KEEP_CACHE
 * Names are validated before any store request; invalid ones are ENOENT at once.
 * OPEN, READ and RELEASE of regular files are in ModelFileSystem.Files.cs.
 */
public sealed partial class ModelFileSystem : FuseFileSystemBase, IFuseLendingFileSystem
{
    private const ulong SyntheticInoBase = 1UL << 30;

    /// <summary>Longest name component served (what statfs reports as f_namelen, and what RelativePath allows).</summary>
    private const int NameMax = 255;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly IModelCatalog _catalog;
    private readonly IBlockCache _cache;
    private readonly IBlockSource _source;
    private readonly Prefetcher _prefetcher;
    private readonly IngestCoordinator? _ingest;
    private readonly ModelFileSystemOptions _options;
    private readonly ILogger _logger;
    private readonly InodeTable _inodes = new();
    private readonly PassthroughFiles _passthrough;
    private readonly ConcurrentDictionary<ulong, OpenFile> _files = new();
    private readonly ConcurrentDictionary<ulong, string[]> _listings = new();
    private readonly DateTimeOffset _mountTime;
    private readonly RepeatedFailureLog _failures;
    private long _nextHandle;

    public ModelFileSystem(
        IModelCatalog catalog,
        IBlockCache cache,
        IBlockSource source,
        Prefetcher prefetcher,
        ModelFileSystemOptions options,
        ILogger<ModelFileSystem> logger,
        TimeProvider? time = null,
        IngestCoordinator? ingest = null)
        : base(logger)
    {
        _ingest = ingest;
        _catalog = catalog;
        _cache = cache;
        _source = source;
        _prefetcher = prefetcher;
        _options = options;
        _logger = logger;
        _mountTime = (time ?? TimeProvider.System).GetUtcNow();
        _failures = new RepeatedFailureLog(logger, time, options.FailureLogInterval);
        _passthrough = new PassthroughFiles(options.Passthrough, logger);
    }

    /// <summary>Nodes the kernel currently holds (for tests and metrics).</summary>
    public int NodeCount => _inodes.Count;

    public override async ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var node = _inodes.Get(parent.Value);
        if (node is null)
        {
            return Errno.ENOENT;
        }

        // The kernel passes FUSE names up to 1024 bytes; we advertise NameMax 255 (statfs), so a longer name is
        // answered as POSIX asks, and before any catalog work.
        if (name.Length > NameMax)
        {
            return Errno.ENAMETOOLONG;
        }

        var text = Decode(name.Span);
        if (text is null)
        {
            return Errno.ENOENT;
        }

        using var bound = BoundFor(node.Kind, cancellationToken);
        try
        {
            var result = node.Kind switch
            {
                FsNodeKind.Root => await LookupOrganizationAsync(text, bound.Token),
                FsNodeKind.Organization => await LookupModelAsync(node.Org, text, bound.Token),
                FsNodeKind.Directory => LookupInRevision(node, text),
                _ => Errno.ENOTDIR,
            };
            // Only a model lookup went to the store or the Hub for this name: an organisation or in-revision lookup
            // succeeding says nothing about the outage a failing model lookup is in (and would end its run at once).
            if (node.Kind == FsNodeKind.Organization)
            {
                _failures.Succeeded("lookup");
            }

            return result;
        }
        catch (OperationCanceledException) when (bound.Expired)
        {
            return TimedOut("lookup", text);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail(ex, "lookup", text);
        }
    }

    public override void Forget(NodeId node, ulong lookups) => _inodes.Forget(node.Value, lookups);

    public override ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var n = _inodes.Get(node.Value);
        return ValueTask.FromResult<FuseResult<FuseAttrReply>>(
            n is null ? Errno.ENOENT : new FuseAttrReply(Attributes(n), Timeout(n)));
    }

    public override void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _passthrough.OnInitialized(connection.BackingFiles);
        base.OnInitialized(connection, notifier);
    }

    public override ValueTask<FuseResult<int>> GetXAttrAsync(NodeId node, ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken)
        => ValueTask.FromResult(FileXAttrs.Get(_inodes.Get(node.Value), name.Span, destination.Span));

    public override ValueTask<FuseResult<int>> ListXAttrAsync(NodeId node, Memory<byte> destination, CancellationToken cancellationToken)
        => ValueTask.FromResult(FileXAttrs.List(_inodes.Get(node.Value), destination.Span));

    public override async ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var n = _inodes.Get(node.Value);
        if (n is null)
        {
            return Errno.ENOENT;
        }

        using var bound = BoundFor(n.Kind, cancellationToken);
        try
        {
            switch (n.Kind)
            {
                case FsNodeKind.Root:
                case FsNodeKind.Organization:
                    // Dynamic listings are snapshotted per open so cookies stay valid across getdents calls.
                    var names = n.Kind == FsNodeKind.Root
                        ? await _catalog.ListOrganizationsAsync(bound.Token)
                        : await _catalog.ListModelsAsync(n.Org, bound.Token);
                    var handle = (ulong)Interlocked.Increment(ref _nextHandle);
                    _listings[handle] = [.. names];
                    return new FuseOpenReply(new FileHandle(handle), FuseOpenFlags.None);
                case FsNodeKind.Directory:
                    return new FuseOpenReply(FileHandle.None, n.Revision!.Immutable ? FuseOpenFlags.KeepCache | FuseOpenFlags.CacheDir : FuseOpenFlags.None);
                default:
                    return Errno.ENOTDIR;
            }
        }
        catch (OperationCanceledException) when (bound.Expired)
        {
            return TimedOut("opendir", n.Key);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail(ex, "opendir", n.Key);
        }
    }

    public override ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var n = _inodes.Get(node.Value);
        if (n is null)
        {
            return ValueTask.FromResult(Errno.ENOENT);
        }

        // Cookie i+1 resumes after entry i of [".", "..", children...].
        var start = (int)Math.Max(0, offset);
        if (start == 0 && !writer.TryAdd("."u8, DotEntry(n), 1))
        {
            return ValueTask.FromResult(Errno.Success);
        }

        if (start <= 1 && !writer.TryAdd(".."u8, DotEntry(n.Kind is FsNodeKind.Root or FsNodeKind.Organization ? _inodes.Root : n), 2))
        {
            return ValueTask.FromResult(Errno.Success);
        }

        if (n.Kind is FsNodeKind.Root or FsNodeKind.Organization)
        {
            if (!_listings.TryGetValue(handle.Value, out var names))
            {
                return ValueTask.FromResult(Errno.EBADF);
            }

            for (var i = Math.Max(0, start - 2); i < names.Length; i++)
            {
                // No attributes for dynamic children (node 0 in READDIRPLUS): a model's revision is resolved only when
                // someone looks it up, not for every `ls /models/org`.
                var ino = SyntheticIno(n.Org + "/" + names[i]);
                var entry = new FuseEntry { Attributes = FuseAttributes.Directory(ino, _mountTime) };
                if (!writer.TryAdd(Encoding.UTF8.GetBytes(names[i]), entry, (ulong)i + 3))
                {
                    break;
                }
            }

            return ValueTask.FromResult(Errno.Success);
        }

        if (n.Directory is not { } dir)
        {
            return ValueTask.FromResult(Errno.ENOTDIR);
        }

        var children = dir.Names;
        for (var i = Math.Max(0, start - 2); i < children.Count; i++)
        {
            var child = ChildNode(n, children[i], countLookup: false)!;
            var entry = Entry(child);
            if (!writer.TryAdd(Encoding.UTF8.GetBytes(children[i]), writer.IsPlus ? entry : entry with { Node = default }, (ulong)i + 3))
            {
                break;
            }

            if (writer.IsPlus)
            {
                // In the reply: the kernel now holds a lookup on it (even if the user never sees the name).
                _ = ChildNode(n, children[i], countLookup: true);
            }
        }

        return ValueTask.FromResult(Errno.Success);
    }

    public override ValueTask ReleaseDirAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken)
    {
        _listings.TryRemove(handle.Value, out _);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<FuseResult<FuseStatFs>> StatFsAsync(NodeId node, CancellationToken cancellationToken)
    {
        ulong total = 1UL << 40, free = 1UL << 40;
        if (_options.CacheDirectory is { } dir)
        {
            try
            {
                var drive = new DriveInfo(dir);
                total = (ulong)drive.TotalSize;
                free = (ulong)drive.AvailableFreeSpace;
            }
            catch (IOException)
            {
            }
        }

        return ValueTask.FromResult<FuseResult<FuseStatFs>>(new FuseStatFs
        {
            BlockSize = 4096,
            Blocks = total / 4096,
            BlocksFree = free / 4096,
            BlocksAvailable = free / 4096,
            Files = (ulong)_inodes.Count,
            NameMax = NameMax,
        });
    }

    private async Task<FuseResult<FuseEntry>> LookupOrganizationAsync(string name, CancellationToken ct)
    {
        if (!ModelName.IsValid(name))
        {
            return Errno.ENOENT;
        }

        if (!await _catalog.OrganizationExistsAsync(name, ct))
        {
            return Errno.ENOENT;
        }

        var node = _inodes.Acquire("org:" + name, id => new FsNode(id, "org:" + name, FsNodeKind.Organization, name, null, null, null), countLookup: true);
        return Entry(node);
    }

    private async Task<FuseResult<FuseEntry>> LookupModelAsync(string org, string entryName, CancellationToken ct)
    {
        if (!ModelName.TryParseModelEntry(entryName, out var model, out var revision))
        {
            return Errno.ENOENT;
        }

        var resolved = await _catalog.ResolveAsync(org, model, revision, ct);
        if (resolved is null)
        {
            return Errno.ENOENT;
        }

        if (resolved.Hub is not null && _options.IngestOn == IngestTrigger.Lookup)
        {
            _ingest?.Start(resolved);
        }

        var key = InodeTable.KeyFor(resolved, entryName, string.Empty);
        var node = _inodes.Acquire(key, id => new FsNode(id, key, FsNodeKind.Directory, org, resolved, resolved.Root, null, entryName), countLookup: true);

        // The name -> revision mapping of a default revision may be re-pinned: keep the entry short-lived. What is
        // below it is immutable and cached for long.
        return Entry(node) with { EntryTimeout = _options.DynamicTimeout };
    }

    private FuseResult<FuseEntry> LookupInRevision(FsNode parent, string name)
    {
        var child = ChildNode(parent, name, countLookup: true);
        return child is null ? Errno.ENOENT : Entry(child);
    }

    private FsNode? ChildNode(FsNode parent, string name, bool countLookup)
    {
        var revision = parent.Revision!;
        var dir = parent.Directory!;
        var entryName = parent.EntryName;
        var path = dir.Path.Length == 0 ? name : dir.Path + "/" + name;
        var key = InodeTable.KeyFor(revision, entryName, path);
        if (dir.Directories.TryGetValue(name, out var childDir))
        {
            return _inodes.Acquire(key, id => new FsNode(id, key, FsNodeKind.Directory, parent.Org, revision, childDir, null, entryName), countLookup);
        }

        if (dir.Files.TryGetValue(name, out var file))
        {
            return _inodes.Acquire(key, id => new FsNode(id, key, FsNodeKind.File, parent.Org, revision, null, file, entryName), countLookup);
        }

        return null;
    }

    private FuseEntry Entry(FsNode node)
    {
        var timeout = Timeout(node);
        return new FuseEntry { Node = new NodeId(node.Id), EntryTimeout = timeout, AttrTimeout = timeout, Attributes = Attributes(node) };
    }

    // "." and ".." carry no node in READDIRPLUS, so they never count as lookups.
    private FuseEntry DotEntry(FsNode node) => new() { Attributes = Attributes(node) };

    private TimeSpan Timeout(FsNode node) =>
        node.Revision is { Immutable: true } ? _options.ImmutableTimeout : _options.DynamicTimeout;

    private FuseAttributes Attributes(FsNode node)
    {
        var attributes = node.File is { } file
            ? FuseAttributes.File(node.Id, file.Size, node.Revision!.Modified)
            : FuseAttributes.Directory(node.Id, node.Revision?.Modified ?? _mountTime);
        return attributes with { Uid = _options.Uid, Gid = _options.Gid };
    }

    /// <summary>
    /// Maps the failure to its errno and logs it: an expected failure (store or Hub unreachable, not found, timeout) as
    /// one line without a stack, summarised while it repeats; anything else is a bug and keeps its stack.
    /// </summary>
    private Errno Fail(Exception ex, string operation, string path)
    {
        var errno = ErrnoMap.From(ex);
        var kind = ErrnoMap.Kind(ex);
        if (!ErrnoMap.IsExpected(ex))
        {
            CoreLog.OperationFailed(_logger, ex, operation, path, kind, errno.ToString());
        }
        else if (_failures.Failed(operation, kind, path + ": " + ex.Message))
        {
            CoreLog.OperationFailedExpected(_logger, operation, path, kind, errno.ToString(), ex.Message);
        }

        return errno;
    }

    /// <summary>Names inside a revision are in memory; the root and an organisation may ask the store (or the Hub), so only they get the request limit.</summary>
    private RequestLimit.Bound BoundFor(FsNodeKind kind, CancellationToken cancellationToken) =>
        (kind is FsNodeKind.Root or FsNodeKind.Organization ? _options.RequestLimit : RequestLimit.None).Start(cancellationToken);

    /// <summary>
    /// A request that waited its whole limit: EIO, not ETIMEDOUT — a reader (cat, safetensors, torch.load) treats both
    /// as a failed read, and EIO is what every other store failure gives, so one errno means "the bytes did not come".
    /// The wait it left is cancelled once no other reader waits for it. One line per run of timeouts, then summaries.
    /// </summary>
    private Errno TimedOut(string operation, string path)
    {
        if (_failures.Failed(operation, "RequestTimeout", path))
        {
            CoreLog.RequestTimedOut(_logger, operation, path, _options.RequestLimit.Limit?.TotalSeconds ?? 0);
        }

        return Errno.EIO;
    }

    private static ulong SyntheticIno(string name)
    {
        // Stable per name, in a range dense node ids never reach.
        var hash = 14695981039346656037UL;
        foreach (var c in name)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return SyntheticInoBase + (hash % SyntheticInoBase);
    }

    private static string? Decode(ReadOnlySpan<byte> name)
    {
        try
        {
            return StrictUtf8.GetString(name);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
