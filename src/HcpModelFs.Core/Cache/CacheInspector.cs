using System.Buffers.Binary;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// A read-only look at a cache directory from outside the process that owns it (<c>cache stats</c>, the cache % of
/// <c>ls</c>): every sidecar's header and present slots, opened for reading only. It never creates, truncates, moves or
/// deletes anything, so it is safe while a daemon runs; what it reports is a snapshot that may be a moment old.
/// </summary>
public static class CacheInspector
{
    /// <summary>The objects with a readable sidecar, and how many files were not understood (a torn or foreign sidecar).</summary>
    public static CacheSnapshot Inspect(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        var objects = new List<CachedObjectSummary>();
        var unreadable = 0;
        var objectsPath = Path.Combine(root, "objects");
        if (!Directory.Exists(objectsPath))
        {
            return new CacheSnapshot(root, objects, unreadable);
        }

        foreach (var meta in Directory.EnumerateFiles(objectsPath, "*" + CacheDirectory.MetaExtension))
        {
            try
            {
                if (TryRead(meta) is { } summary)
                {
                    objects.Add(summary);
                }
                else
                {
                    unreadable++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Evicted between the listing and the open: not there any more.
            }
        }

        objects.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new CacheSnapshot(root, objects, unreadable);
    }

    /// <summary>One sidecar's object, or null when the file is not a valid sidecar.</summary>
    internal static CachedObjectSummary? TryRead(string metaPath)
    {
        var bytes = File.ReadAllBytes(metaPath);
        if (!BlockSidecar.TryParseHeader(bytes, out var key, out var etag, out var size, out var blockSize) || blockSize <= 0)
        {
            return null;
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(32));
        var blockCount = BlockSidecar.BlockCountOf(size, blockSize);
        long presentBlocks = 0;
        long presentBytes = 0;
        for (long i = 0; i < blockCount; i++)
        {
            var offset = headerLength + (i * BlockSidecar.SlotSize);
            if (offset + BlockSidecar.SlotSize > bytes.Length)
            {
                break; // A short sidecar (torn growth): the rest reads as missing, as the cache itself treats it.
            }

            if (BlockSidecar.TryDecodeSlot(bytes.AsSpan((int)offset, BlockSidecar.SlotSize), out _))
            {
                presentBlocks++;
                presentBytes += Math.Min(blockSize, size - (i * blockSize));
            }
        }

        var stem = Path.GetFileName(metaPath)[..^CacheDirectory.MetaExtension.Length];
        return new CachedObjectSummary(stem, key, etag, size, blockSize, blockCount, presentBlocks, presentBytes);
    }
}

/// <summary>What <see cref="CacheInspector.Inspect"/> saw.</summary>
public sealed class CacheSnapshot(string directory, IReadOnlyList<CachedObjectSummary> objects, int unreadableSidecars)
{
    private Dictionary<(string, string), long>? _byIdentity;

    public string Directory { get; } = directory;

    public IReadOnlyList<CachedObjectSummary> Objects { get; } = objects;

    /// <summary>Sidecars that are not valid (torn, another version): the owning cache discards them when it meets them.</summary>
    public int UnreadableSidecars { get; } = unreadableSidecars;

    public long PresentBytes => Objects.Sum(o => o.PresentBytes);

    /// <summary>Bytes of <paramref name="id"/> present in the cache (0 when it is not cached).</summary>
    public long PresentBytesOf(CacheObjectId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        _byIdentity ??= Objects.GroupBy(o => (o.Key, o.ETag)).ToDictionary(g => g.Key, g => g.Sum(o => o.PresentBytes));
        return _byIdentity.TryGetValue((id.Key, id.ETag), out var bytes) ? bytes : 0;
    }
}

/// <summary>One cached object as its sidecar describes it: the store key and ETag (or commit), and which blocks are present.</summary>
public sealed record CachedObjectSummary(
    string Stem, string Key, string ETag, long Size, int BlockSize, long BlockCount, long PresentBlocks, long PresentBytes);
