using System.Buffers;

namespace HcpModelFs.Core.Cache;

/*
 * Offline work on a cache directory for `cache verify`, `cache clear` and `rm --cache`. It changes files the owning
 * DiskBlockCache would otherwise manage, so it takes a CacheDirectoryLock: no daemon can be running on the directory.
 * A dropped block is marked missing in its sidecar (the data stays, sparse, and is refetched on the next read); a
 * removed object loses both files, data first, so a crash in between leaves a sidecar alone, which the next start
 * of the cache removes as unpaired.
 */
public sealed class CacheMaintenance
{
    private readonly CacheDirectoryLock _lock;

    public CacheMaintenance(CacheDirectoryLock directoryLock)
    {
        ArgumentNullException.ThrowIfNull(directoryLock);
        _lock = directoryLock;
    }

    private string ObjectsPath => Path.Combine(_lock.Directory, "objects");

    /// <summary>
    /// Reads every present block and checks it against the CRC32C its sidecar recorded; a block that disagrees (or
    /// whose bytes are missing from the data file) is marked missing. Objects whose sidecar is unreadable are removed.
    /// </summary>
    public CacheVerifyResult Verify(CancellationToken cancellationToken)
    {
        var result = new CacheVerifyResult();
        if (!Directory.Exists(ObjectsPath))
        {
            return result;
        }

        foreach (var meta in Directory.EnumerateFiles(ObjectsPath, "*" + CacheDirectory.MetaExtension).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var summary = CacheInspector.TryRead(meta);
            if (summary is null)
            {
                result.ObjectsRemoved++;
                RemoveFiles(meta[..^CacheDirectory.MetaExtension.Length], meta);
                continue;
            }

            result.Objects++;
            VerifyObject(meta, summary, result, cancellationToken);
        }

        return result;
    }

    /// <summary>Removes every cached object (and the trash); returns how many objects and present bytes went.</summary>
    public (int Objects, long Bytes) Clear()
    {
        var removed = Remove(static _ => true);
        foreach (var folder in new[] { ObjectsPath, Path.Combine(_lock.Directory, "trash") })
        {
            if (Directory.Exists(folder))
            {
                // Unpaired and misnamed files and the trash: nothing the cache would keep.
                foreach (var file in Directory.EnumerateFiles(folder).ToList())
                {
                    File.Delete(file);
                }
            }
        }

        return removed;
    }

    /// <summary>Removes the objects whose store key matches; returns how many and their present bytes.</summary>
    public (int Objects, long Bytes) Remove(Func<string, bool> keyMatches)
    {
        ArgumentNullException.ThrowIfNull(keyMatches);
        var objects = 0;
        long bytes = 0;
        foreach (var summary in CacheInspector.Inspect(_lock.Directory).Objects)
        {
            if (keyMatches(summary.Key))
            {
                var data = Path.Combine(ObjectsPath, summary.Stem);
                RemoveFiles(data, data + CacheDirectory.MetaExtension);
                objects++;
                bytes += summary.PresentBytes;
            }
        }

        return (objects, bytes);
    }

    private static void VerifyObject(string meta, CachedObjectSummary summary, CacheVerifyResult result, CancellationToken cancellationToken)
    {
        var dataPath = meta[..^CacheDirectory.MetaExtension.Length];
        using var sidecar = File.OpenHandle(meta, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var data = File.Exists(dataPath) ? File.OpenHandle(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite) : null;
        var header = BlockSidecar.BuildHeader(new CacheObjectId(summary.Key, summary.ETag, summary.Size), summary.BlockSize);
        var slots = new byte[summary.BlockCount * BlockSidecar.SlotSize];
        _ = RandomAccess.Read(sidecar, slots, header.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(summary.BlockSize);
        try
        {
            for (long i = 0; i < summary.BlockCount; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!BlockSidecar.TryDecodeSlot(slots.AsSpan((int)(i * BlockSidecar.SlotSize), BlockSidecar.SlotSize), out var crc))
                {
                    continue;
                }

                result.BlocksChecked++;
                var length = (int)Math.Min(summary.BlockSize, summary.Size - (i * summary.BlockSize));
                if (data is null || BlockSidecar.ReadFully(data, buffer.AsSpan(0, length), i * summary.BlockSize) != length
                    || Crc32C.Compute(buffer.AsSpan(0, length)) != crc)
                {
                    result.BlocksBad++;
                    result.BytesDropped += length;
                    RandomAccess.Write(sidecar, new byte[BlockSidecar.SlotSize], header.Length + (i * BlockSidecar.SlotSize));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void RemoveFiles(string data, string meta)
    {
        File.Delete(data);
        File.Delete(meta);
    }
}

/// <summary>Counts of one <see cref="CacheMaintenance.Verify"/> run.</summary>
public sealed class CacheVerifyResult
{
    public int Objects { get; internal set; }

    public long BlocksChecked { get; internal set; }

    public long BlocksBad { get; internal set; }

    public long BytesDropped { get; internal set; }

    /// <summary>Objects whose sidecar was unreadable, removed whole.</summary>
    public int ObjectsRemoved { get; internal set; }
}
