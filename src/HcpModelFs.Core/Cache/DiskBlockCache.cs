// The local disk block cache: reads through the cache, fetching missing blocks once (single flight) and committing
// them. The parts it coordinates each do one job: CacheDirectory (files on disk, restart scan, trash), CacheLedger
// (which objects, their bytes and users, LRU eviction), CachedObject (one object's open files, bitmaps, CRCs and
// in-memory blocks), BlockLoader (check, fetch, commit one block), ResidentBlocks and BlockBufferPool (block memory,
// one budget), WholeFileVerifier (SHA-256 of objects without per-block checksums), BackgroundWork, CacheCounters.
// The read path itself is DiskBlockCache.Read.cs; this file holds the cache's life cycle, presence queries and pins.
//
// Integrity: every block fetched is CRC32C'd in the pass that writes it and, when the manifest recorded per-block
// CRCs at upload or ingest, checked against them before anyone sees it (end to end, no second pass over the bytes).
// A block found on disk is checked against its recorded CRC the first time this process reads it, then remembered as
// verified so steady-state reads do not re-checksum 8 MiB. Objects without per-block CRCs but with a SHA-256 are
// hashed once in the background when complete; a mismatch drops them.
//
// Memory: per object only two bitmaps and the CRC arrays; one pooled block-sized buffer per fetch in flight. The hit
// path takes the ledger lock for the lease and preads into the caller's buffer without allocating.
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Cache;

/// <summary>An <see cref="IBlockCache"/> on local disk: a sparse file plus a checksummed sidecar per object.</summary>
public sealed partial class DiskBlockCache : IBlockCache
{
    private const int MaxBlockSize = 1024 * 1024 * 1024;
    private const string NoRoomForFiles = "the disk has no room for the object's cache files";

    private readonly ILogger _logger;
    private readonly CacheDirectory _files;
    private readonly CacheLedger _ledger;
    private readonly CacheCounters _counters = new();
    private readonly BackgroundWork _background = new();
    private readonly int _blockSize;
    private readonly SemaphoreSlim? _fetchLimiter;
    private readonly ArrayPool<byte> _pool;
    private readonly BlockBufferPool _blocks;
    private readonly ResidentBlocks _resident;
    private readonly bool _directWrites;
    private readonly SingleFlight<BlockKey> _flights = new();
    private readonly BlockLoader _loader;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CacheMetrics _metrics;
    private int _disposed;

    public DiskBlockCache(DiskBlockCacheOptions options, ILogger<DiskBlockCache>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BlockSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BlockSize, MaxBlockSize);
        if (options.MinFreeDiskBytes is { } floor)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(floor);
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
        _blockSize = options.BlockSize;
        _pool = options.BufferPool ?? ArrayPool<byte>.Shared;
        ArgumentOutOfRangeException.ThrowIfNegative(options.MemoryBytes);
        // Keep as many free buffers as the budget holds: a dropped 8 MiB buffer costs page faults and zeroing when the
        // next one is allocated (measured: ~5 % of a cold read's CPU), and the budget bounds the peak anyway.
        _blocks = new BlockBufferPool(_blockSize, keep: (int)Math.Clamp(options.MemoryBytes / _blockSize, 1, 64));
        _resident = new ResidentBlocks(options.MemoryBytes);
        _directWrites = options.DirectWrites;
        if (options.MaxConcurrentFetches is { } maxFetches)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFetches);
            _fetchLimiter = new SemaphoreSlim(maxFetches, maxFetches);
        }

        _files = new CacheDirectory(options.Directory, _logger);
        _files.EmptyTrash();
        var minFree = FreeSpaceFloorDisabled ? 0 : options.MinFreeDiskBytes ?? TenPercentOfDisk(_files.Root);
        _ledger = new CacheLedger(
            _files, options.MaxBytes > 0 ? options.MaxBytes : 0, minFree,
            options.AvailableFreeSpaceProbe ?? AvailableFreeSpace, timeProvider ?? TimeProvider.System, _logger, _counters);
        var verifier = new WholeFileVerifier(_ledger, _counters, _background, _pool, _logger, _shutdown.Token);
        _loader = new BlockLoader(
            _blockSize, _ledger, _files, _counters, _background, _blocks, _resident, verifier, _fetchLimiter, _logger, _shutdown.Token);
        _metrics = new CacheMetrics(_counters, _ledger);
        var (bytes, objects) = _ledger.Totals;
        _logger.CacheOpened(_files.Root, objects, bytes, _ledger.MaxBytes, minFree);
    }

    /// <inheritdoc />
    public int BlockSize => _blockSize;

    /// <summary>The cache's root directory (absolute).</summary>
    public string Directory => _files.Root;

    /// <inheritdoc />
    public CacheStatistics Statistics
    {
        get
        {
            var (bytes, objects) = _ledger.Totals;
            return _counters.Snapshot(bytes, objects, _ledger.MaxBytes);
        }
    }

    /// <summary>The free-disk floor in effect (explicit, or 10 % of the file system).</summary>
    internal long MinFreeDiskBytes => _ledger.MinFreeBytes;

    /// <summary>Block buffers handed out and not back yet (tests: nothing leaks).</summary>
    internal int BlockBuffersOutstanding => _blocks.Outstanding;

    /// <summary>Blocks whose bytes were read back and checked against their CRC (tests: verified once per process).</summary>
    internal long ChecksumChecks => Interlocked.Read(ref _counters.ChecksumChecks);

    /// <inheritdoc />
    /// <remarks>A block already on disk counts as present here; its CRC is checked when a reader first reads it.</remarks>
    public ValueTask EnsureBlockAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken) =>
        EnsureAsync(id, blockIndex, source, readable: false, cancellationToken);

    /// <inheritdoc />
    public ValueTask EnsureReadableAsync(CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken) =>
        EnsureAsync(id, blockIndex, source, readable: true, cancellationToken);

    /// <inheritdoc />
    public bool IsBlockPresent(CacheObjectId id, long blockIndex)
    {
        ArgumentNullException.ThrowIfNull(id);
        ValidateBlockIndex(id, blockIndex);
        return FirstMissingBlock(id, blockIndex, blockIndex + 1) < 0;
    }

    /// <inheritdoc />
    public long FirstMissingBlock(CacheObjectId id, long fromBlock, long toBlock)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfNegative(fromBlock);
        var entry = Acquire(id);
        try
        {
            return TryEnsureLoaded(entry, out var data) ? data.Present.FirstClear(fromBlock, toBlock) : NothingCached(fromBlock, toBlock);
        }
        finally
        {
            _ledger.Release(entry);
        }
    }

    /// <inheritdoc />
    public long FirstUnreadableBlock(CacheObjectId id, long fromBlock, long toBlock)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfNegative(fromBlock);
        var entry = Acquire(id);
        try
        {
            if (!TryEnsureLoaded(entry, out var data))
            {
                return NothingCached(fromBlock, toBlock);
            }

            var unverified = data.Verified.FirstClear(fromBlock, toBlock);
            var missing = data.Present.FirstClear(fromBlock, unverified < 0 ? toBlock : unverified);
            return missing >= 0 ? missing : unverified;
        }
        finally
        {
            _ledger.Release(entry);
        }
    }

    /// <inheritdoc />
    public bool TryLend(CacheObjectId id, long offset, int length, out BlockLease lease)
    {
        ArgumentNullException.ThrowIfNull(id);
        lease = default;
        var block = offset / _blockSize;
        var within = (int)(offset - (block * _blockSize));
        if (offset < 0 || length <= 0 || offset + length > id.Size || within + length > _blockSize
            || _ledger.FindLoaded(id) is not { } data || !data.IsReadable(block)
            || !data.TryLendResident(block, within, length, out lease))
        {
            return false;
        }

        Interlocked.Increment(ref _counters.Hits);
        Interlocked.Add(ref _counters.HitBytes, length);
        return true;
    }

    /// <inheritdoc />
    public bool TryGetVerifiedFile(CacheObjectId id, out string path)
    {
        ArgumentNullException.ThrowIfNull(id);
        var entry = Acquire(id);
        try
        {
            if (!TryEnsureLoaded(entry, out var data))
            {
                path = string.Empty;
                return false; // No room for the object's files: it is read through the daemon, uncached.
            }

            path = data.DataPath;
            return data.IsCompleteAndVerified;
        }
        finally
        {
            _ledger.Release(entry);
        }
    }

    /// <inheritdoc />
    public IDisposable Pin(CacheObjectId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ThrowIfDisposed();
        return _ledger.Pin(id);
    }

    /// <summary>Evicts every object that is not pinned or in use; returns how many were removed.</summary>
    public int Clear()
    {
        ThrowIfDisposed();
        var removed = _ledger.Clear();
        _files.EmptyTrash();
        return removed;
    }

    /// <summary>The objects the cache knows, for tools.</summary>
    public IReadOnlyList<CachedObjectInfo> GetObjects() => _ledger.Snapshot();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _metrics.Dispose();
        _shutdown.Cancel();
        _background.WaitAll(TimeSpan.FromSeconds(30));
        _ledger.CloseAll();
        _shutdown.Dispose();
        _fetchLimiter?.Dispose();
    }

    /// <summary>Completes when work started so far (fetches, whole-file hashes, trash unlinks) has finished.</summary>
    internal Task WhenBackgroundIdleAsync() => _background.WhenIdleAsync();

    /// <summary>Path of the data file of an object.</summary>
    internal string DataPathOf(CacheObjectId id) => _files.DataPathOf(CacheDirectory.StemOf(id));

    /// <summary>Path of the sidecar of an object.</summary>
    internal string SidecarPathOf(CacheObjectId id) => _files.MetaPathOf(CacheDirectory.StemOf(id));

    /// <summary>Present (fetched if missing), and with <paramref name="readable"/> also checked in this process.</summary>
    private async ValueTask EnsureAsync(CacheObjectId id, long blockIndex, IBlockSource source, bool readable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(source);
        ValidateBlockIndex(id, blockIndex);
        var entry = Acquire(id);
        try
        {
            var data = EnsureLoaded(entry);
            while (readable ? !data.IsReadable(blockIndex) : !data.Present.Get(blockIndex))
            {
                await MaterializeAsync(entry, data, id, blockIndex, source, verify: readable, cancellationToken);
            }
        }
        finally
        {
            _ledger.Release(entry);
        }
    }

    private Task MaterializeAsync(
        CacheEntry entry, CachedObject data, CacheObjectId id, long block, IBlockSource source, bool verify, CancellationToken cancellationToken)
        => _flights.RunAsync(
            new BlockKey(entry, block),
            token => _background.Track(_loader.LoadAsync(entry, data, id, block, source, verify, token)),
            cancellationToken);

    private CacheEntry Acquire(CacheObjectId id)
    {
        ThrowIfDisposed();
        return _ledger.Acquire(id);
    }

    /// <summary>
    /// <see cref="EnsureLoaded"/>, or false when the disk has no room for the object's files (ENOSPC, EDQUOT while creating
    /// its sidecar): then nothing of it is cached, and readers are served from the source, uncached, instead of failing.
    /// </summary>
    private bool TryEnsureLoaded(CacheEntry entry, [NotNullWhen(true)] out CachedObject? data)
    {
        try
        {
            data = EnsureLoaded(entry);
            return true;
        }
        catch (IOException ex) when (BlockNotCachedException.IsNoSpace(ex))
        {
            data = null;
            return false;
        }
    }

    /// <summary>The first block of [from, to) when no block of the object could be cached; -1 for an empty range.</summary>
    private static long NothingCached(long fromBlock, long toBlock) => fromBlock < toBlock ? fromBlock : -1;

    /// <summary>The entry's open object, reading its sidecar on first use.</summary>
    private CachedObject EnsureLoaded(CacheEntry entry)
    {
        if (entry.Object is { } loaded)
        {
            return loaded;
        }

        SidecarOpenResult result;
        CachedObject data;
        lock (entry.LoadLock)
        {
            if (entry.Object is { } raced)
            {
                return raced;
            }

            data = CachedObject.Load(
                _files.DataPathOf(entry.Stem), _files.MetaPathOf(entry.Stem), entry.Id!, _blockSize, _directWrites, _pool,
                out result, out var bytes, out var blocks);
            _ledger.SetLoaded(entry, bytes, blocks);
            entry.Attach(data);
        }

        if (result == SidecarOpenResult.Discarded)
        {
            _logger.SidecarDiscarded(entry.Id!.Key, entry.Id.ETag);
        }

        return data;
    }

    private void ValidateBlockIndex(CacheObjectId id, long blockIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blockIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blockIndex, BlockSidecar.BlockCountOf(id.Size, _blockSize));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Test-only switch (docs/RELIABILITY.md): HCPMODELFS_TEST_DISABLE_FREE_SPACE_FLOOR=1 drops the free-disk floor, so
    /// the full-disk scenario can show the floor is what keeps the cache's file system from filling up.
    /// </summary>
    private static bool FreeSpaceFloorDisabled =>
        Environment.GetEnvironmentVariable("HCPMODELFS_TEST_DISABLE_FREE_SPACE_FLOOR") == "1";

    private static long AvailableFreeSpace(string directory)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    private static long TenPercentOfDisk(string directory)
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            return new DriveInfo(directory).TotalSize / 10;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }
}
