namespace HcpModelFs.Core.Cache;

/// <summary>
/// The ledger's record of one cached object. Fields marked "ledger lock" are guarded by <see cref="CacheLedger"/>'s
/// lock. The open files and bitmaps (<see cref="Object"/>) are built lazily from the sidecar on first use; before
/// that an entry found on disk at start-up knows only its files and an estimate of its size.
/// </summary>
internal sealed class CacheEntry(string stem)
{
    private CachedObject? _object;

    public string Stem { get; } = stem;

    /// <summary>Identity, once a caller has named it (ledger lock to set).</summary>
    public CacheObjectId? Id { get; set; }

    /// <summary>Expected SHA-256 (lowercase hex) once any caller supplied it (ledger lock).</summary>
    public string? Sha256 { get; set; }

    /// <summary>Open leases (ledger lock).</summary>
    public int Pins { get; set; }

    /// <summary>Reads, fetches and verifications using the entry right now (ledger lock).</summary>
    public int ActiveOperations { get; set; }

    /// <summary>Recency for LRU: a global sequence number, larger = more recent (ledger lock).</summary>
    public long LastUse { get; set; }

    /// <summary>Last access for tools (ledger lock).</summary>
    public DateTimeOffset LastAccessUtc { get; set; }

    /// <summary>Bytes of present blocks; before loading, an estimate from the data file's length (ledger lock).</summary>
    public long Bytes { get; set; }

    /// <summary>Present blocks (ledger lock).</summary>
    public long PresentBlocks { get; set; }

    /// <summary>Evicted or cleared; never handed out again (ledger lock).</summary>
    public bool Removed { get; set; }

    /// <summary>Serialises loading.</summary>
    public Lock LoadLock { get; } = new();

    /// <summary>The open object, once loaded.</summary>
    public CachedObject? Object => Volatile.Read(ref _object);

    public void Attach(CachedObject loaded) => Volatile.Write(ref _object, loaded);

    public void CloseFiles() => Object?.Dispose();
}
