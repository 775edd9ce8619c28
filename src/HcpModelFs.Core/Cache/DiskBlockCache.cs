// Design note — the local disk block cache.
//
// Layout: <Directory>/objects/<stem> is a sparse data file per object (stem = SHA-256 of key + etag), each block
// written at its own offset with pwrite; <stem>.meta is its sidecar (header, then one 8-byte slot per block:
// presence marker + CRC32C; see BlockSidecar). <Directory>/trash/ holds evicted files until they are unlinked.
//
// Visibility: a block becomes readable only in this order — data pwritten, slot pwritten, then the in-memory
// present bit flipped (after the CRC is stored). Readers check the bit without a lock, so whatever they see set
// has its bytes and checksum behind it. Dropping goes the other way round (bit first, then slot).
//
// Crash safety without fsync: the sidecar header is written when the object is first opened, before any slot. A
// crash can leave data without a slot (the block is simply missing) or a slot whose data never reached the disk
// (its CRC fails on first read). Both cost one refetch; neither can serve wrong bytes, because every present block
// is checked against its CRC the first time this process reads it, and then remembered as verified so steady-state
// 128 KiB reads do not re-checksum 8 MiB. A complete object with a known SHA-256 is hashed once in the background.
//
// Eviction: by whole object, least recently used first (a global use sequence, not wall time, so tests are
// deterministic), triggered when a new block would cross the byte limit or the free-disk floor. An object is never
// evicted while pinned (open files) or while any read, fetch or verification holds it (ActiveOperations, taken under
// the same lock eviction decides under), so the blocks a reader waits for stay put. If nothing is evictable the
// cache overshoots rather than fail a read, and says so once. Files of an evicted object are renamed into trash/
// under the lock (so a new entry for the same object can never open them) and unlinked outside it.
//
// Memory: per object only the two bitmaps and the CRC array; one pooled block-sized buffer per fetch in flight. The
// hit path takes the lock briefly for the lease, and preads into the caller's buffer without allocating.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Cache;

/// <summary>An <see cref="IBlockCache"/> on local disk: a sparse file plus a checksummed sidecar per object.</summary>
public sealed class DiskBlockCache : IBlockCache
{
    private const string ObjectsDirectoryName = "objects";
    private const string TrashDirectoryName = "trash";
    private const string MetaExtension = ".meta";
    private const int StemLength = 40;
    private const int VerifyChunkSize = 1024 * 1024;
    private const int MaxBlockSize = 1024 * 1024 * 1024;

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private readonly string _objectsDirectory;
    private readonly string _trashDirectory;
    private readonly int _blockSize;
    private readonly long _maxBytes;
    private readonly long _minFreeBytes;
    private readonly Func<string, long> _freeSpace;
    private readonly SemaphoreSlim? _fetchLimiter;
    private readonly ArrayPool<byte> _pool;
    private readonly SingleFlight<BlockKey> _flights = new();
    private readonly CancellationTokenSource _shutdown = new();

    private readonly Lock _lock = new();
    private readonly Dictionary<string, CacheEntry> _byStem = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string ETag), CacheEntry> _byId = [];
    private readonly List<Task> _background = [];
    private long _totalBytes;
    private long _useSequence;
    private long _trashSequence;
    private bool _overLimitLogged;

    private long _hits;
    private long _misses;
    private long _fetches;
    private long _evictions;
    private long _corruptBlocks;
    private long _verificationsPassed;
    private long _verificationsFailed;
    private long _checksumChecks;
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
        _time = timeProvider ?? TimeProvider.System;
        _directory = Path.GetFullPath(options.Directory);
        _objectsDirectory = Path.Combine(_directory, ObjectsDirectoryName);
        _trashDirectory = Path.Combine(_directory, TrashDirectoryName);
        _blockSize = options.BlockSize;
        _maxBytes = options.MaxBytes > 0 ? options.MaxBytes : 0;
        _freeSpace = options.AvailableFreeSpaceProbe ?? AvailableFreeSpace;
        _pool = options.BufferPool ?? ArrayPool<byte>.Shared;
        _minFreeBytes = options.MinFreeDiskBytes ?? TenPercentOfDisk(_directory);
        if (options.MaxConcurrentFetches is { } maxFetches)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFetches);
            _fetchLimiter = new SemaphoreSlim(maxFetches, maxFetches);
        }

        System.IO.Directory.CreateDirectory(_objectsDirectory);
        System.IO.Directory.CreateDirectory(_trashDirectory);
        EmptyTrash();
        ScanObjects();
        _logger.CacheOpened(_directory, _byStem.Count, _totalBytes, _maxBytes, _minFreeBytes);
    }

    /// <inheritdoc />
    public int BlockSize => _blockSize;

    /// <summary>The cache's root directory (absolute).</summary>
    public string Directory => _directory;

    /// <inheritdoc />
    public CacheStatistics Statistics
    {
        get
        {
            long bytes;
            int objects;
            lock (_lock)
            {
                bytes = _totalBytes;
                objects = _byStem.Count;
            }

            return new CacheStatistics(
                bytes,
                objects,
                Interlocked.Read(ref _hits),
                Interlocked.Read(ref _misses),
                Interlocked.Read(ref _fetches),
                Interlocked.Read(ref _evictions),
                Interlocked.Read(ref _corruptBlocks),
                Interlocked.Read(ref _verificationsPassed),
                Interlocked.Read(ref _verificationsFailed),
                _maxBytes);
        }
    }

    /// <summary>The free-disk floor in effect (explicit, or 10 % of the file system).</summary>
    internal long MinFreeDiskBytes => _minFreeBytes;

    /// <summary>Blocks whose bytes were read back and checked against their CRC (tests: verified once per process).</summary>
    internal long ChecksumChecks => Interlocked.Read(ref _checksumChecks);

    /// <inheritdoc />
    /// <remarks>
    /// When every block the read touches is present and verified, this completes synchronously without allocating;
    /// the first block that is not hands the rest of the read to an async continuation.
    /// </remarks>
    public ValueTask<int> ReadAsync(
        CacheObjectId id, long offset, Memory<byte> destination, IBlockSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= id.Size || destination.IsEmpty)
        {
            return new ValueTask<int>(0);
        }

        var length = (int)Math.Min(destination.Length, id.Size - offset);
        var entry = Acquire(id);
        var handedOff = false;
        try
        {
            EnsureLoaded(entry);
            var done = 0;
            while (done < length)
            {
                var position = offset + done;
                var block = position / _blockSize;
                if (!entry.IsReadable(block))
                {
                    handedOff = true;
                    return ReadSlowAsync(entry, id, offset, done, destination[..length], source, cancellationToken);
                }

                Interlocked.Increment(ref _hits);
                var count = (int)Math.Min(length - done, ((block + 1) * _blockSize) - position);
                ReadPresent(entry, destination.Span.Slice(done, count), position);
                done += count;
            }

            return new ValueTask<int>(length);
        }
        finally
        {
            if (!handedOff)
            {
                Release(entry);
            }
        }
    }

    /// <summary>The rest of a read from <paramref name="done"/> on, fetching or checking blocks; releases the lease.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSlowAsync(
        CacheEntry entry,
        CacheObjectId id,
        long offset,
        int done,
        Memory<byte> destination,
        IBlockSource source,
        CancellationToken cancellationToken)
    {
        try
        {
            while (done < destination.Length)
            {
                var position = offset + done;
                var block = position / _blockSize;
                var count = (int)Math.Min(destination.Length - done, ((block + 1) * _blockSize) - position);
                if (entry.IsReadable(block) || entry.Present!.Get(block))
                {
                    Interlocked.Increment(ref _hits);
                }
                else
                {
                    Interlocked.Increment(ref _misses);
                }

                // A loop, not an if: the flight joined may have been a prefetch (no CRC check), or the block may have
                // been dropped again (whole-file mismatch) before this reader got to it.
                while (!entry.IsReadable(block))
                {
                    await MaterializeAsync(entry, id, block, source, verify: true, cancellationToken);
                }

                ReadPresent(entry, destination.Span.Slice(done, count), position);
                done += count;
            }

            return destination.Length;
        }
        finally
        {
            Release(entry);
        }
    }

    /// <inheritdoc />
    /// <remarks>A block already on disk counts as present here; its CRC is checked when a reader first reads it.</remarks>
    public async ValueTask EnsureBlockAsync(
        CacheObjectId id, long blockIndex, IBlockSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(source);
        ValidateBlockIndex(id, blockIndex);
        var entry = Acquire(id);
        try
        {
            EnsureLoaded(entry);
            if (!entry.Present!.Get(blockIndex))
            {
                await MaterializeAsync(entry, id, blockIndex, source, verify: false, cancellationToken);
            }
        }
        finally
        {
            Release(entry);
        }
    }

    /// <inheritdoc />
    public bool IsBlockPresent(CacheObjectId id, long blockIndex)
    {
        ArgumentNullException.ThrowIfNull(id);
        ValidateBlockIndex(id, blockIndex);
        var entry = Acquire(id);
        try
        {
            EnsureLoaded(entry);
            return entry.Present!.Get(blockIndex);
        }
        finally
        {
            Release(entry);
        }
    }

    /// <inheritdoc />
    public IDisposable Pin(CacheObjectId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            ThrowIfDisposed();
            var entry = GetOrAddLocked(id);
            entry.Pins++;
            entry.LastUse = ++_useSequence;
            return new PinLease(this, entry);
        }
    }

    /// <summary>Evicts every object that is not pinned or in use; returns how many were removed.</summary>
    public int Clear()
    {
        List<CacheEntry> removed = [];
        lock (_lock)
        {
            ThrowIfDisposed();
            foreach (var entry in _byStem.Values)
            {
                if (entry.Pins == 0 && entry.ActiveOperations == 0)
                {
                    removed.Add(entry);
                }
            }

            foreach (var entry in removed)
            {
                _totalBytes -= entry.Bytes;
                RemoveLocked(entry);
            }
        }

        EmptyTrash();
        return removed.Count;
    }

    /// <summary>The objects the cache knows, for tools.</summary>
    public IReadOnlyList<CachedObjectInfo> GetObjects()
    {
        lock (_lock)
        {
            var list = new List<CachedObjectInfo>(_byStem.Count);
            foreach (var e in _byStem.Values)
            {
                list.Add(new CachedObjectInfo(
                    e.Stem, e.Id?.Key, e.Id?.ETag, e.Id?.Size, e.Bytes, e.PresentBlocks, e.Loaded, e.Pins,
                    e.LastAccessUtc == default ? null : e.LastAccessUtc));
            }

            return list;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shutdown.Cancel();
        Task[] pending;
        lock (_lock)
        {
            pending = [.. _background];
        }

        try
        {
            Task.WaitAll(pending, TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Fetch failures went to their readers; verification failures were logged.
        }

        lock (_lock)
        {
            foreach (var entry in _byStem.Values)
            {
                entry.CloseFiles();
            }
        }

        _shutdown.Dispose();
        _fetchLimiter?.Dispose();
    }

    /// <summary>Completes when work started so far (fetches, whole-file hashes, trash unlinks) has finished.</summary>
    internal async Task WhenBackgroundIdleAsync()
    {
        Task[] pending;
        lock (_lock)
        {
            pending = [.. _background];
        }

        try
        {
            await Task.WhenAll(pending);
        }
        catch (Exception)
        {
            // Failures were reported to their callers or logged; this only waits.
        }
    }

    /// <summary>Path of the data file of an object.</summary>
    internal string DataPathOf(CacheObjectId id) => Path.Combine(_objectsDirectory, StemOf(id));

    /// <summary>Path of the sidecar of an object.</summary>
    internal string SidecarPathOf(CacheObjectId id) => DataPathOf(id) + MetaExtension;

    /// <summary>File name stem of an object: hex of SHA-256(UTF-8 key, NUL, UTF-8 etag), 40 characters.</summary>
    internal static string StemOf(CacheObjectId id)
    {
        var bytes = Encoding.UTF8.GetBytes(id.Key + "\0" + id.ETag);
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..StemLength];
    }

    private Task MaterializeAsync(
        CacheEntry entry, CacheObjectId id, long block, IBlockSource source, bool verify, CancellationToken cancellationToken)
        => _flights.RunAsync(
            new BlockKey(entry, block),
            token => Track(LoadBlockAsync(entry, id, block, source, verify, token)),
            cancellationToken);

    /// <summary>Remembers work that may outlive its callers, so shutdown (and tests) can wait for it.</summary>
    private Task Track(Task task)
    {
        lock (_lock)
        {
            TrackLocked(task);
        }

        return task;
    }

    private void TrackLocked(Task task)
    {
        if (!task.IsCompleted)
        {
            _background.RemoveAll(static t => t.IsCompleted);
            _background.Add(task);
        }
    }

    /// <summary>
    /// The single-flight work for one block: check a present block's CRC (first read in this process), or fetch it
    /// from the source and commit it. Holds its own lease on the entry because it may outlive the readers.
    /// </summary>
    private async Task LoadBlockAsync(
        CacheEntry entry, CacheObjectId id, long block, IBlockSource source, bool verify, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            entry.ActiveOperations++;
        }

        try
        {
            if (entry.IsReadable(block) || (!verify && entry.Present!.Get(block)))
            {
                return;
            }

            var length = BlockLength(id.Size, block);
            var position = block * _blockSize;
            var buffer = _pool.Rent(length);
            try
            {
                if (entry.Present!.Get(block) && CheckPresentBlock(entry, block, buffer.AsSpan(0, length)))
                {
                    return;
                }

                // Shutdown cancels fetches too, so Dispose can wait for them before closing the files.
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
                if (_fetchLimiter is not null)
                {
                    await _fetchLimiter.WaitAsync(linked.Token);
                }

                try
                {
                    Interlocked.Increment(ref _fetches);
                    await source.ReadAsync(id, position, buffer.AsMemory(0, length), linked.Token);
                }
                finally
                {
                    _fetchLimiter?.Release();
                }

                StoreBlock(entry, block, buffer.AsSpan(0, length));
            }
            finally
            {
                _pool.Return(buffer);
            }
        }
        finally
        {
            Release(entry);
        }
    }

    /// <summary>Reads a present block back and checks its CRC; on mismatch drops it and returns false.</summary>
    private bool CheckPresentBlock(CacheEntry entry, long block, Span<byte> buffer)
    {
        Interlocked.Increment(ref _checksumChecks);
        var expected = entry.Crcs![block];
        uint actual = 0;
        var complete = TryReadExactly(entry.Data!, buffer, block * _blockSize);
        if (complete)
        {
            actual = Crc32C.Compute(buffer);
            if (actual == expected)
            {
                entry.Verified!.Set(block);
                return true;
            }
        }

        DropBlock(entry, block);
        Interlocked.Increment(ref _corruptBlocks);
        var id = entry.Id!;
        _logger.CorruptBlock(id.Key, id.ETag, block, expected, actual);
        return false;
    }

    /// <summary>Writes a fetched block: make room, data, slot, then the bits (visibility last).</summary>
    private void StoreBlock(CacheEntry entry, long block, ReadOnlySpan<byte> data)
    {
        var crc = Crc32C.Compute(data);
        ReserveSpace(entry, data.Length);
        var committed = false;
        try
        {
            RandomAccess.Write(entry.Data!, data, block * _blockSize);
            entry.Sidecar!.WriteSlot(block, crc);
            lock (_lock)
            {
                entry.Crcs![block] = crc;
                entry.Verified!.Set(block);
                if (entry.Present!.Set(block))
                {
                    committed = true;
                    entry.Bytes += data.Length;
                    entry.PresentBlocks++;
                    if (entry.PresentBlocks == entry.Present.Count && entry.Sha256 is not null)
                    {
                        ScheduleVerificationLocked(entry);
                    }
                }
            }
        }
        finally
        {
            if (!committed)
            {
                // Failed, or a duplicate of an abandoned fetch that already committed: give the reservation back.
                lock (_lock)
                {
                    _totalBytes -= data.Length;
                }
            }
        }
    }

    private void DropBlock(CacheEntry entry, long block)
    {
        lock (_lock)
        {
            if (entry.Present!.Clear(block))
            {
                var length = BlockLength(entry.Id!.Size, block);
                entry.Bytes -= length;
                entry.PresentBlocks--;
                _totalBytes -= length;
            }

            entry.Verified!.Clear(block);
        }

        entry.Sidecar!.ClearSlot(block);
    }

    private void DropAllBlocks(CacheEntry entry)
    {
        lock (_lock)
        {
            entry.Present!.ClearAll();
            entry.Verified!.ClearAll();
            _totalBytes -= entry.Bytes;
            entry.Bytes = 0;
            entry.PresentBlocks = 0;
        }

        entry.Sidecar!.ClearAllSlots();
    }

    private void ScheduleVerificationLocked(CacheEntry entry)
    {
        entry.ActiveOperations++;
        // Hashing a multi-GB file is long, synchronous pread work: keep it off the thread pool's workers.
        TrackLocked(Task.Factory.StartNew(
            () => VerifyWholeFile(entry), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>Hashes a complete object against its SHA-256; a mismatch drops all its blocks.</summary>
    private void VerifyWholeFile(CacheEntry entry)
    {
        var id = entry.Id!;
        var expected = entry.Sha256!;
        var buffer = _pool.Rent(VerifyChunkSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long position = 0;
            while (position < id.Size)
            {
                _shutdown.Token.ThrowIfCancellationRequested();
                var count = (int)Math.Min(VerifyChunkSize, id.Size - position);
                if (!TryReadExactly(entry.Data!, buffer.AsSpan(0, count), position))
                {
                    throw new IOException($"Cache data file {entry.DataPath} is shorter than the object.");
                }

                hash.AppendData(buffer, 0, count);
                position += count;
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                // The whole content matched: every present block is as good as CRC-checked.
                for (long i = 0; i < entry.Present!.Count; i++)
                {
                    if (entry.Present.Get(i))
                    {
                        entry.Verified!.Set(i);
                    }
                }

                Interlocked.Increment(ref _verificationsPassed);
                _logger.WholeFileVerified(id.Key, id.ETag);
            }
            else
            {
                DropAllBlocks(entry);
                Interlocked.Increment(ref _verificationsFailed);
                _logger.WholeFileMismatch(id.Key, id.ETag, expected, actual);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shutting down; the next completion (or restart) does not re-run it, per-block CRCs still guard reads.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            _logger.WholeFileVerificationError(id.Key, id.ETag, ex);
        }
        finally
        {
            _pool.Return(buffer);
            Release(entry);
        }
    }

    /// <summary>
    /// Accounts for a new block of <paramref name="length"/> bytes, evicting least recently used objects first when
    /// it would cross the byte limit or the free-disk floor. Never fails: with nothing evictable it overshoots.
    /// </summary>
    private void ReserveSpace(CacheEntry requester, int length)
    {
        var free = _freeSpace(_directory);
        List<(string Stem, string? Key, long Bytes)>? evicted = null;
        var logOverLimit = false;
        long bytesNow;
        lock (_lock)
        {
            var freeAfter = free - length;
            while (IsOverLimitLocked(length, freeAfter))
            {
                var victim = FindVictimLocked(requester);
                if (victim is null)
                {
                    logOverLimit = !_overLimitLogged;
                    _overLimitLogged = true;
                    break;
                }

                _totalBytes -= victim.Bytes;
                freeAfter += victim.Bytes;
                (evicted ??= []).Add((victim.Stem, victim.Id?.Key, victim.Bytes));
                RemoveLocked(victim);
                Interlocked.Increment(ref _evictions);
            }

            if (!logOverLimit && !IsOverLimitLocked(length, freeAfter))
            {
                _overLimitLogged = false;
            }

            _totalBytes += length;
            bytesNow = _totalBytes;
        }

        if (logOverLimit)
        {
            _logger.OverLimitNothingEvictable(bytesNow, _maxBytes, free);
        }

        if (evicted is not null)
        {
            foreach (var (stem, key, bytes) in evicted)
            {
                _logger.ObjectEvicted(stem, key, bytes);
            }

            // Unlinking a multi-GB file can take a while; the reader that made room should not wait for it.
            lock (_lock)
            {
                TrackLocked(Task.Run(EmptyTrash));
            }
        }
    }

    private bool IsOverLimitLocked(int length, long freeAfter)
        => (_maxBytes > 0 && _totalBytes + length > _maxBytes) || freeAfter < _minFreeBytes;

    private CacheEntry? FindVictimLocked(CacheEntry requester)
    {
        CacheEntry? victim = null;
        foreach (var entry in _byStem.Values)
        {
            if (!ReferenceEquals(entry, requester) && entry.Pins == 0 && entry.ActiveOperations == 0
                && (victim is null || entry.LastUse < victim.LastUse))
            {
                victim = entry;
            }
        }

        return victim;
    }

    /// <summary>Forgets an idle entry and moves its files into trash/ (renames are quick; unlinking is not).</summary>
    private void RemoveLocked(CacheEntry entry)
    {
        entry.Removed = true;
        _byStem.Remove(entry.Stem);
        if (entry.Id is { } id)
        {
            _byId.Remove((id.Key, id.ETag));
        }

        entry.CloseFiles();
        MoveToTrash(entry.DataPath);
        MoveToTrash(entry.MetaPath);
    }

    private void MoveToTrash(string path)
    {
        try
        {
            File.Move(path, Path.Combine(_trashDirectory, $"{++_trashSequence}-{Path.GetFileName(path)}"));
        }
        catch (FileNotFoundException)
        {
            // Never written.
        }
        catch (IOException ex)
        {
            _logger.DeleteFailed(path, ex);
        }
    }

    private void EmptyTrash()
    {
        try
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(_trashDirectory))
            {
                TryDelete(path);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Someone removed the cache directory; nothing to empty.
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.DeleteFailed(path, ex);
        }
    }

    /// <summary>
    /// Registers what a previous run left: pairs of data file and sidecar become unloaded entries (identity and exact
    /// size come from the sidecar on first use); anything unpaired is removed. Recency starts in file-time order.
    /// </summary>
    private void ScanObjects()
    {
        var found = new Dictionary<string, (FileInfo? Data, bool Meta)>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(_objectsDirectory).EnumerateFiles())
        {
            var name = file.Name;
            var isMeta = name.EndsWith(MetaExtension, StringComparison.Ordinal);
            var stem = isMeta ? name[..^MetaExtension.Length] : name;
            if (!IsStem(stem))
            {
                TryDelete(file.FullName);
                _logger.StrayFileRemoved(file.FullName);
                continue;
            }

            found.TryGetValue(stem, out var pair);
            found[stem] = isMeta ? (pair.Data, true) : (file, pair.Meta);
        }

        var entries = new List<(CacheEntry Entry, DateTime Written)>();
        foreach (var (stem, (data, meta)) in found)
        {
            var dataPath = Path.Combine(_objectsDirectory, stem);
            if (data is null || !meta)
            {
                var stray = data is null ? dataPath + MetaExtension : dataPath;
                TryDelete(stray);
                _logger.StrayFileRemoved(stray);
                continue;
            }

            var entry = new CacheEntry(stem, dataPath, dataPath + MetaExtension) { Bytes = data.Length };
            entries.Add((entry, data.LastWriteTimeUtc));
        }

        entries.Sort(static (a, b) => a.Written.CompareTo(b.Written));
        foreach (var (entry, _) in entries)
        {
            entry.LastUse = ++_useSequence;
            _byStem.Add(entry.Stem, entry);
            _totalBytes += entry.Bytes;
        }
    }

    private static bool IsStem(string name)
    {
        if (name.Length != StemLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private CacheEntry Acquire(CacheObjectId id)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var entry = GetOrAddLocked(id);
            entry.ActiveOperations++;
            entry.LastUse = ++_useSequence;
            entry.LastAccessUtc = _time.GetUtcNow();
            return entry;
        }
    }

    private void Release(CacheEntry entry)
    {
        lock (_lock)
        {
            entry.ActiveOperations--;
        }
    }

    private CacheEntry GetOrAddLocked(CacheObjectId id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id.Size);
        if (!_byId.TryGetValue((id.Key, id.ETag), out var entry))
        {
            var stem = StemOf(id);
            if (!_byStem.TryGetValue(stem, out entry))
            {
                var dataPath = Path.Combine(_objectsDirectory, stem);
                entry = new CacheEntry(stem, dataPath, dataPath + MetaExtension);
                _byStem.Add(stem, entry);
            }
            else if (entry.Id is not null)
            {
                throw new InvalidOperationException($"Cache stem collision between {entry.Id.Key} and {id.Key}.");
            }

            entry.Id = id;
            _byId.Add((id.Key, id.ETag), entry);
        }
        else if (entry.Id!.Size != id.Size)
        {
            throw new ArgumentException(
                $"{id.Key} (etag {id.ETag}) was opened with size {entry.Id.Size} and now with {id.Size}.", nameof(id));
        }

        if (entry.Sha256 is null && id.Sha256 is not null)
        {
            entry.Sha256 = id.Sha256;
        }

        return entry;
    }

    /// <summary>Reads the sidecar on first use: present blocks and their CRCs; a sidecar for other content is discarded.</summary>
    private void EnsureLoaded(CacheEntry entry)
    {
        if (entry.Loaded)
        {
            return;
        }

        SidecarOpenResult result;
        lock (entry.LoadLock)
        {
            if (entry.Loaded)
            {
                return;
            }

            var id = entry.Id!;
            var sidecar = BlockSidecar.OpenOrCreate(entry.MetaPath, id, _blockSize, out result);
            SafeFileHandle? data = null;
            byte[]? slots = null;
            try
            {
                data = File.OpenHandle(
                    entry.DataPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                if (result != SidecarOpenResult.Matched)
                {
                    RandomAccess.SetLength(data, 0);
                }

                var count = sidecar.BlockCount;
                var present = new BlockBitmap(count);
                var crcs = new uint[count];
                long bytes = 0;
                long blocks = 0;
                if (result == SidecarOpenResult.Matched && count > 0)
                {
                    var slotBytes = checked((int)(count * BlockSidecar.SlotSize));
                    slots = _pool.Rent(slotBytes);
                    sidecar.ReadSlots(slots.AsSpan(0, slotBytes));
                    for (long i = 0; i < count; i++)
                    {
                        if (BlockSidecar.TryDecodeSlot(slots.AsSpan((int)(i * BlockSidecar.SlotSize), BlockSidecar.SlotSize), out var crc))
                        {
                            present.Set(i);
                            crcs[i] = crc;
                            bytes += BlockLength(id.Size, i);
                            blocks++;
                        }
                    }
                }

                lock (_lock)
                {
                    _totalBytes += bytes - entry.Bytes;
                    entry.Bytes = bytes;
                    entry.PresentBlocks = blocks;
                }

                entry.Attach(data, sidecar, present, crcs);
            }
            catch
            {
                data?.Dispose();
                sidecar.Dispose();
                throw;
            }
            finally
            {
                if (slots is not null)
                {
                    _pool.Return(slots);
                }
            }
        }

        if (result == SidecarOpenResult.Discarded)
        {
            _logger.SidecarDiscarded(entry.Id!.Key, entry.Id.ETag);
        }
    }

    private static void ReadPresent(CacheEntry entry, Span<byte> destination, long position)
    {
        if (!TryReadExactly(entry.Data!, destination, position))
        {
            throw new IOException($"Cache data file {entry.DataPath} ended inside a present block at {position}.");
        }
    }

    private static bool TryReadExactly(SafeFileHandle handle, Span<byte> destination, long position)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, position);
            if (n == 0)
            {
                return false;
            }

            destination = destination[n..];
            position += n;
        }

        return true;
    }

    private int BlockLength(long size, long block) => (int)Math.Min(_blockSize, size - (block * _blockSize));

    private void ValidateBlockIndex(CacheObjectId id, long blockIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blockIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blockIndex, BlockSidecar.BlockCountOf(id.Size, _blockSize));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

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

    private sealed class PinLease(DiskBlockCache owner, CacheEntry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lock (owner._lock)
                {
                    entry.Pins--;
                }
            }
        }
    }
}
