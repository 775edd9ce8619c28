using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// Which objects the cache holds, how many bytes, who uses them, and which go first when space runs out.
/// </summary>
/// <remarks>
/// Eviction is by whole object, least recently used first (a global use sequence, not wall time, so tests are
/// deterministic), when a new block would cross the byte limit or the free-disk floor. An object is never evicted
/// while pinned (open files) or while a read, fetch or verification holds it (ActiveOperations, taken under the same
/// lock eviction decides under), so the blocks a reader waits for stay put. With nothing evictable the cache
/// overshoots rather than fail a read, and says so once.
/// </remarks>
internal sealed class CacheLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CacheEntry> _byStem = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string ETag), CacheEntry> _byId = [];
    private readonly CacheDirectory _directory;
    private readonly long _maxBytes;
    private readonly long _minFreeBytes;
    private readonly Func<string, long> _freeSpace;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CacheCounters _counters;
    private long _totalBytes;

    // Bytes reserved for blocks whose write has not finished: the file system's free space does not show them yet,
    // so concurrent fetches that each sampled it would otherwise all fit "the last block" under the floor.
    private long _writing;
    private long _useSequence;
    private bool _overLimitLogged;

    public CacheLedger(
        CacheDirectory directory, long maxBytes, long minFreeBytes, Func<string, long> freeSpace, TimeProvider time, ILogger logger,
        CacheCounters counters)
    {
        _counters = counters;
        _directory = directory;
        _maxBytes = maxBytes;
        _minFreeBytes = minFreeBytes;
        _freeSpace = freeSpace;
        _time = time;
        _logger = logger;
        foreach (var (stem, bytes) in directory.Scan())
        {
            var entry = new CacheEntry(stem) { Bytes = bytes, LastUse = ++_useSequence };
            _byStem.Add(stem, entry);
            _totalBytes += bytes;
        }
    }

    /// <summary>The lock that guards every "ledger lock" field of <see cref="CacheEntry"/>.</summary>
    public Lock SyncRoot => _lock;

    public long MaxBytes => _maxBytes;

    public long MinFreeBytes => _minFreeBytes;

    public (long Bytes, int Objects) Totals
    {
        get
        {
            lock (_lock)
            {
                return (_totalBytes, _byStem.Count);
            }
        }
    }

    /// <summary>The entry of <paramref name="id"/>, created if new, held by one more operation until <see cref="Release"/>.</summary>
    public CacheEntry Acquire(CacheObjectId id)
    {
        lock (_lock)
        {
            var entry = GetOrAddLocked(id);
            entry.ActiveOperations++;
            entry.LastUse = ++_useSequence;
            entry.LastAccessUtc = _time.GetUtcNow();
            return entry;
        }
    }

    /// <summary>The open object of <paramref name="id"/> if it is loaded (no entry is created, nothing is held).</summary>
    public CachedObject? FindLoaded(CacheObjectId id)
    {
        lock (_lock)
        {
            return _byId.TryGetValue((id.Key, id.ETag), out var entry) ? entry.Object : null;
        }
    }

    /// <summary>One more operation on an entry the caller already holds (work that may outlive it).</summary>
    public void Hold(CacheEntry entry)
    {
        lock (_lock)
        {
            entry.ActiveOperations++;
        }
    }

    public void Release(CacheEntry entry)
    {
        lock (_lock)
        {
            entry.ActiveOperations--;
        }
    }

    public IDisposable Pin(CacheObjectId id)
    {
        lock (_lock)
        {
            var entry = GetOrAddLocked(id);
            entry.Pins++;
            entry.LastUse = ++_useSequence;
            return new PinLease(this, entry);
        }
    }

    /// <summary>Replaces a loaded entry's size estimate with what its sidecar says.</summary>
    public void SetLoaded(CacheEntry entry, long bytes, long blocks)
    {
        lock (_lock)
        {
            _totalBytes += bytes - entry.Bytes;
            entry.Bytes = bytes;
            entry.PresentBlocks = blocks;
        }
    }

    /// <summary>
    /// Accounts for a new block of <paramref name="length"/> bytes, evicting least recently used objects first when
    /// it would cross the byte limit or the free-disk floor. Returns whether files went to trash (the caller empties
    /// it outside any lock). <paramref name="room"/> is false (and nothing is reserved) when the block would cross the
    /// free-disk floor with nothing left to evict: the disk is the hard limit, the byte limit may be overshot.
    /// </summary>
    public bool Reserve(CacheEntry requester, int length, out bool room)
    {
        room = true;
        var free = _freeSpace(_directory.Root);
        List<(string Stem, string? Key, long Bytes)>? evicted = null;
        var logOverLimit = false;
        long bytesNow;
        lock (_lock)
        {
            var freeAfter = free - _writing - length;
            while (IsOverLimitLocked(length, freeAfter))
            {
                var victim = FindVictimLocked(requester);
                if (victim is null)
                {
                    logOverLimit = !_overLimitLogged;
                    _overLimitLogged = true;
                    break;
                }

                // Saturating: a probe that knows no limit answers long.MaxValue, and an overflow would read as a full disk.
                freeAfter = freeAfter > long.MaxValue - victim.Bytes ? long.MaxValue : freeAfter + victim.Bytes;
                (evicted ??= []).Add((victim.Stem, victim.Id?.Key, victim.Bytes));
                RemoveLocked(victim);
                Interlocked.Increment(ref _counters.Evictions);
            }

            if (!logOverLimit && !IsOverLimitLocked(length, freeAfter))
            {
                _overLimitLogged = false;
            }

            if (freeAfter < _minFreeBytes && FindVictimLocked(requester) is null)
            {
                room = false;
            }
            else
            {
                _totalBytes += length;
                _writing += length;
            }

            bytesNow = _totalBytes;
        }

        if (logOverLimit)
        {
            _logger.OverLimitNothingEvictable(bytesNow, _maxBytes, free);
        }

        foreach (var (stem, key, bytes) in evicted ?? [])
        {
            _logger.ObjectEvicted(stem, key, bytes);
        }

        return evicted is not null;
    }

    /// <summary>The write of a reserved block has finished (or failed): the file system's free space now tells.</summary>
    public void Written(int length)
    {
        lock (_lock)
        {
            _writing -= length;
        }
    }

    /// <summary>Gives back a reservation whose block was not committed.</summary>
    public void Unreserve(int length)
    {
        lock (_lock)
        {
            _totalBytes -= length;
        }
    }

    /// <summary>Forgets a block's bytes (dropped after a failed check).</summary>
    public void BlockDropped(CacheEntry entry, int length)
    {
        entry.Bytes -= length;
        entry.PresentBlocks--;
        _totalBytes -= length;
    }

    /// <summary>Forgets all bytes of an entry (whole-file mismatch); call under <see cref="SyncRoot"/>.</summary>
    public void AllDroppedLocked(CacheEntry entry)
    {
        _totalBytes -= entry.Bytes;
        entry.Bytes = 0;
        entry.PresentBlocks = 0;
    }

    /// <summary>Evicts every object that is not pinned or in use; returns how many were removed.</summary>
    public int Clear()
    {
        List<CacheEntry> removed = [];
        lock (_lock)
        {
            foreach (var entry in _byStem.Values)
            {
                if (entry.Pins == 0 && entry.ActiveOperations == 0)
                {
                    removed.Add(entry);
                }
            }

            foreach (var entry in removed)
            {
                RemoveLocked(entry);
            }
        }

        return removed.Count;
    }

    public IReadOnlyList<CachedObjectInfo> Snapshot()
    {
        lock (_lock)
        {
            var list = new List<CachedObjectInfo>(_byStem.Count);
            foreach (var e in _byStem.Values)
            {
                list.Add(new CachedObjectInfo(
                    e.Stem, e.Id?.Key, e.Id?.ETag, e.Id?.Size, e.Bytes, e.PresentBlocks, e.Object is not null, e.Pins,
                    e.LastAccessUtc == default ? null : e.LastAccessUtc));
            }

            return list;
        }
    }

    public void CloseAll()
    {
        lock (_lock)
        {
            foreach (var entry in _byStem.Values)
            {
                entry.CloseFiles();
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

    private void RemoveLocked(CacheEntry entry)
    {
        _totalBytes -= entry.Bytes;
        entry.Removed = true;
        _byStem.Remove(entry.Stem);
        if (entry.Id is { } id)
        {
            _byId.Remove((id.Key, id.ETag));
        }

        entry.CloseFiles();
        _directory.MoveToTrash(entry.Stem);
    }

    private CacheEntry GetOrAddLocked(CacheObjectId id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id.Size);
        if (!_byId.TryGetValue((id.Key, id.ETag), out var entry))
        {
            var stem = CacheDirectory.StemOf(id);
            if (!_byStem.TryGetValue(stem, out entry))
            {
                entry = new CacheEntry(stem);
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

    private sealed class PinLease(CacheLedger owner, CacheEntry entry) : IDisposable
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
