namespace HcpModelFs.Core.Cache;

/// <summary>Settings of <see cref="DiskBlockCache"/>.</summary>
public sealed class DiskBlockCacheOptions
{
    /// <summary>The default block size: 8 MiB.</summary>
    public const int DefaultBlockSize = 8 * 1024 * 1024;

    /// <summary>Root directory of the cache; data lives under <c>objects/</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>Block size in bytes. Changing it invalidates what is on disk (sidecars record it).</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>Upper bound on cached bytes; 0 or less means no byte limit (the free-disk floor still applies).</summary>
    public long MaxBytes { get; init; }

    /// <summary>Free space to leave on the cache's file system; <c>null</c> = 10 % of the file system's size.</summary>
    public long? MinFreeDiskBytes { get; init; }

    /// <summary>Optional cap on concurrent source reads made by the cache (the prefetcher has its own limiter).</summary>
    public int? MaxConcurrentFetches { get; init; }

    /// <summary>
    /// Memory for block buffers: fetches in flight and blocks just fetched, which serve the readers right behind them
    /// (default 96 MiB; 0 = keep none, every read comes from the cache file).
    /// </summary>
    public long MemoryBytes { get; init; } = 96L << 20;

    /// <summary>Write whole blocks with O_DIRECT (around the page cache) where the file system allows it.</summary>
    public bool DirectWrites { get; init; } = true;

    /// <summary>Where checksum-check and hashing buffers come from (tests count rentals); default <see cref="System.Buffers.ArrayPool{T}.Shared"/>.</summary>
    internal System.Buffers.ArrayPool<byte>? BufferPool { get; init; }

    /// <summary>Test hook: returns the free bytes of the file system holding the given directory.</summary>
    internal Func<string, long>? AvailableFreeSpaceProbe { get; init; }
}
