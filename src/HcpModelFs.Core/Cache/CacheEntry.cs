using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// In-memory state of one cached object. Fields marked "cache lock" are guarded by <see cref="DiskBlockCache"/>'s
/// lock; the bitmaps are read lock-free on the read path. State is built lazily from the sidecar on first use
/// (<see cref="Loaded"/>); before that an entry found on disk at start-up knows only its files and an estimate.
/// </summary>
internal sealed class CacheEntry
{
    public CacheEntry(string stem, string dataPath, string metaPath)
    {
        Stem = stem;
        DataPath = dataPath;
        MetaPath = metaPath;
    }

    public string Stem { get; }

    public string DataPath { get; }

    public string MetaPath { get; }

    /// <summary>Identity, once a caller has named it (cache lock to set).</summary>
    public CacheObjectId? Id { get; set; }

    /// <summary>Expected SHA-256 (lowercase hex) once any caller supplied it (cache lock).</summary>
    public string? Sha256 { get; set; }

    /// <summary>Open leases (cache lock).</summary>
    public int Pins { get; set; }

    /// <summary>Reads, fetches and verifications using the entry right now (cache lock).</summary>
    public int ActiveOperations { get; set; }

    /// <summary>Recency for LRU: a global sequence number, larger = more recent (cache lock).</summary>
    public long LastUse { get; set; }

    /// <summary>Last access for tools (cache lock).</summary>
    public DateTimeOffset LastAccessUtc { get; set; }

    /// <summary>Bytes of present blocks; before loading, an estimate from the data file's length (cache lock).</summary>
    public long Bytes { get; set; }

    /// <summary>Present blocks (cache lock).</summary>
    public long PresentBlocks { get; set; }

    /// <summary>Evicted or cleared; never handed out again (cache lock).</summary>
    public bool Removed { get; set; }

    /// <summary>Serialises loading.</summary>
    public Lock LoadLock { get; } = new();

    public bool Loaded => Volatile.Read(ref _loaded);

    public SafeFileHandle? Data { get; private set; }

    public BlockSidecar? Sidecar { get; private set; }

    /// <summary>Blocks on disk with their slot written.</summary>
    public BlockBitmap? Present { get; private set; }

    /// <summary>Present blocks whose bytes were checked against their CRC in this process (or written by it).</summary>
    public BlockBitmap? Verified { get; private set; }

    /// <summary>Recorded CRC32C of each present block.</summary>
    public uint[]? Crcs { get; private set; }

    private bool _loaded;

    public void Attach(SafeFileHandle data, BlockSidecar sidecar, BlockBitmap present, uint[] crcs)
    {
        Data = data;
        Sidecar = sidecar;
        Present = present;
        Verified = new BlockBitmap(present.Count);
        Crcs = crcs;
        Volatile.Write(ref _loaded, true);
    }

    /// <summary>True when the block can be pread as is (present and checked).</summary>
    public bool IsReadable(long index) => Loaded && Verified!.Get(index) && Present!.Get(index);

    public void CloseFiles()
    {
        Data?.Dispose();
        Sidecar?.Dispose();
    }
}
