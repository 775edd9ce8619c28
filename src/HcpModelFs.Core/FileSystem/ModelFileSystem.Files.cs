// The regular-file half of ModelFileSystem: OPEN (passthrough for a complete, verified cache file, else the
// prefetcher's job), READ through the block cache (lent from a block in memory where it can be), RELEASE.
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Core.FileSystem;

public sealed partial class ModelFileSystem
{
    public override ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var n = _inodes.Get(node.Value);
        if (n is null)
        {
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(Errno.ENOENT);
        }

        if (n.File is not { } file)
        {
            return ValueTask.FromResult<FuseResult<FuseOpenReply>>(Errno.EISDIR);
        }

        // A revision the store lacks is read from the Hub through its ingest job, which the first open starts.
        var revision = n.Revision!;
        var reader = FileReader.Open(revision, file, _cache, _source, _ingest);
        var handle = (ulong)Interlocked.Increment(ref _nextHandle);
        var pin = _cache.Pin(file.CacheId);

        // A complete, verified cache file is read by the kernel itself: no READ reaches us, at disk speed. Not for a
        // node this mount has already served READs for: its pages are in the mount's page cache (KEEP_CACHE), which a
        // passthrough open would bypass for the cache file's (written around the page cache, so read from disk). A
        // node the kernel forgot (memory pressure, drop_caches) comes back with no READs and is passed through.
        var verifiedPath = revision.Immutable && reader.MayPassThrough && n.Reads == 0
            && _cache.TryGetVerifiedFile(file.CacheId, out var path) ? path : null;
        var backingId = _passthrough.Open(node.Value, file.CacheId.Key, verifiedPath);
        var prefetch = backingId != 0 ? Prefetcher.None : _prefetcher.Open(file.CacheId, reader.Source);
        n.Passthrough = backingId != 0;
        n.Opened();
        _files[handle] = new OpenFile(n, file, reader, backingId != 0, pin, prefetch);

        // Immutable content: the kernel may keep pages across opens, so a re-opened shard costs no READ at all. NOFLUSH:
        // a read-only file has nothing to flush, and close(2) would otherwise wait for a FLUSH round trip through a
        // daemon that is busy with the reader's prefetch (measured: 4-11 ms of a fresh mount's `head -c 1`).
        var openFlags = FuseOpenFlags.NoFlush | (revision.Immutable && reader.MayKeepCache ? FuseOpenFlags.KeepCache : FuseOpenFlags.None);
        return ValueTask.FromResult<FuseResult<FuseOpenReply>>(new FuseOpenReply(new FileHandle(handle), openFlags, backingId));
    }

    public override async ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(handle, offset, destination, lend: false, cancellationToken);
        return read.IsSuccess ? read.Value.Count : read.Error;
    }

    /// <summary>The READ the session could not lend at once: when its bytes turn up in memory while it waits, lent.</summary>
    public ValueTask<FuseResult<FuseReadReply>> ReadOrLendAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
        => ReadAsync(handle, offset, destination, lend: true, cancellationToken);

    private async ValueTask<FuseResult<FuseReadReply>> ReadAsync(FileHandle handle, long offset, Memory<byte> destination, bool lend, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(handle.Value, out var open))
        {
            return Errno.EBADF;
        }

        var id = open.File.CacheId;
        if (offset >= id.Size)
        {
            return new FuseReadReply(0);
        }

        open.Node.CountRead();
        _prefetcher.OnRead(id, offset, destination.Length);
        try
        {
            // Bytes at hand: answered without a timer. Only a read that has to wait gets one (RequestLimit).
            FuseReadReply reply;
            if (open.Reader.TryReadNow(offset, destination, out var n))
            {
                reply = new FuseReadReply(n);
            }
            else
            {
                // Linux reads a page that failed once or twice more (read_folio; a fault retries once), maybe through
                // another process's handle: READs of a file whose wait just ran out are answered at once, so a
                // syscall or page fault waits one limit, not three.
                if (open.Node.TimedOutWithin(_options.RequestLimit))
                {
                    return TimedOut("read", id.Key);
                }

                using var bound = _options.RequestLimit.Start(cancellationToken);
                try
                {
                    var read = await open.Reader.ReadOrLendAsync(offset, destination, lend, bound.Token);
                    open.Node.WaitSucceeded();
                    reply = read.IsLent ? new FuseReadReply(ToFuseLease(read.Lease)) : new FuseReadReply(read.Count);
                }
                catch (OperationCanceledException) when (bound.Expired)
                {
                    open.Node.WaitTimedOut();
                    return TimedOut("read", id.Key);
                }
            }

            _failures.Succeeded("read");
            return reply;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail(ex, "read", id.Key);
        }
    }

    /// <summary>A READ whose bytes sit in one block in memory is written from there (no copy into the reply buffer).</summary>
    public bool TryLendRead(NodeId node, FileHandle handle, long offset, int size, out FuseReadLease lease)
    {
        lease = default;
        if (!_files.TryGetValue(handle.Value, out var open) || !open.Reader.MayLend)
        {
            return false;
        }

        var id = open.File.CacheId;
        if (offset >= id.Size || !_cache.TryLend(id, offset, (int)Math.Min(size, id.Size - offset), out var block))
        {
            return false;
        }

        open.Node.CountRead();
        _prefetcher.OnRead(id, offset, size);
        lease = ToFuseLease(block);
        return true;
    }

    private static FuseReadLease ToFuseLease(BlockLease block) => new(block.Memory, BlockLease.Release, block.Owner);

    public override ValueTask ReleaseAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken)
    {
        if (_files.TryRemove(handle.Value, out var open))
        {
            open.Dispose();
            _passthrough.Release(open.Node.Id, open.Passthrough);
            open.Node.Released();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class OpenFile(FsNode node, RevisionFile file, FileReader reader, bool passthrough, IDisposable pin, IDisposable prefetch) : IDisposable
    {
        public FsNode Node { get; } = node;

        public bool Passthrough { get; } = passthrough;

        public RevisionFile File { get; } = file;

        public FileReader Reader { get; } = reader;
        public void Dispose()
        {
            prefetch.Dispose();
            pin.Dispose();
        }
    }
}
