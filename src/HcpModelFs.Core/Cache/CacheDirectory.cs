using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// The cache's files: <c>objects/&lt;stem&gt;</c> (a sparse data file per object, each block at its own offset) and
/// <c>&lt;stem&gt;.meta</c> (its sidecar), and <c>trash/</c>, where evicted files wait to be unlinked.
/// </summary>
/// <remarks>
/// Eviction renames files into trash/ under the ledger's lock, so a new entry for the same object can never open
/// them; unlinking a multi-GB file is slow, so it happens outside the lock.
/// </remarks>
internal sealed class CacheDirectory
{
    public const string MetaExtension = ".meta";
    private const int StemLength = 40;
    private readonly ILogger _logger;
    private long _trashSequence;

    public CacheDirectory(string root, ILogger logger)
    {
        _logger = logger;
        Root = Path.GetFullPath(root);
        ObjectsPath = Path.Combine(Root, "objects");
        TrashPath = Path.Combine(Root, "trash");
        Directory.CreateDirectory(ObjectsPath);
        Directory.CreateDirectory(TrashPath);
    }

    public string Root { get; }

    public string ObjectsPath { get; }

    public string TrashPath { get; }

    /// <summary>File name stem of an object: hex of SHA-256(UTF-8 key, NUL, UTF-8 etag), 40 characters.</summary>
    public static string StemOf(CacheObjectId id)
    {
        var bytes = Encoding.UTF8.GetBytes(id.Key + "\0" + id.ETag);
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..StemLength];
    }

    public string DataPathOf(string stem) => Path.Combine(ObjectsPath, stem);

    public string MetaPathOf(string stem) => DataPathOf(stem) + MetaExtension;

    /// <summary>
    /// What a previous run left: pairs of data file and sidecar, oldest write first (recency starts in file-time
    /// order); anything unpaired or misnamed is removed.
    /// </summary>
    public List<(string Stem, long Bytes)> Scan()
    {
        var found = new Dictionary<string, (FileInfo? Data, bool Meta)>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(ObjectsPath).EnumerateFiles())
        {
            var name = file.Name;
            var isMeta = name.EndsWith(MetaExtension, StringComparison.Ordinal);
            var stem = isMeta ? name[..^MetaExtension.Length] : name;
            if (!IsStem(stem))
            {
                RemoveStray(file.FullName);
                continue;
            }

            found.TryGetValue(stem, out var pair);
            found[stem] = isMeta ? (pair.Data, true) : (file, pair.Meta);
        }

        var pairs = new List<(string Stem, long Bytes, DateTime Written)>();
        foreach (var (stem, (data, meta)) in found)
        {
            if (data is null || !meta)
            {
                RemoveStray(data is null ? MetaPathOf(stem) : DataPathOf(stem));
                continue;
            }

            pairs.Add((stem, data.Length, data.LastWriteTimeUtc));
        }

        pairs.Sort(static (a, b) => a.Written.CompareTo(b.Written));
        return pairs.ConvertAll(static p => (p.Stem, p.Bytes));
    }

    /// <summary>Moves both files of an object into trash/ (a rename: quick, safe under a lock).</summary>
    public void MoveToTrash(string stem)
    {
        MoveOne(DataPathOf(stem));
        MoveOne(MetaPathOf(stem));
    }

    public void EmptyTrash()
    {
        try
        {
            foreach (var path in Directory.EnumerateFiles(TrashPath))
            {
                TryDelete(path);
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Someone removed the cache directory; nothing to empty.
        }
    }

    private void MoveOne(string path)
    {
        try
        {
            var sequence = Interlocked.Increment(ref _trashSequence);
            File.Move(path, Path.Combine(TrashPath, $"{sequence}-{Path.GetFileName(path)}"));
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

    private void RemoveStray(string path)
    {
        TryDelete(path);
        _logger.StrayFileRemoved(path);
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
}
