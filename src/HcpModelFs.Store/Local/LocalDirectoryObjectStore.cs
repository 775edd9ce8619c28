using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace HcpModelFs.Store.Local;

/// <summary>
/// The embedded store for one machine and demos: key <c>a/b/c</c> is the file <c>&lt;root&gt;/a/b/c</c>. Writes go to
/// a temp file first and are renamed into place (readers never see a partial object); an exclusive create links the
/// temp file to the final name, which fails if the name exists (atomic, no lost race). Multipart parts live under
/// <c>&lt;root&gt;/.store-uploads/&lt;id&gt;/</c>. ETags are derived from size and mtime (opaque, stable while the file
/// is unchanged). Unlike S3, a key cannot be both an object and a prefix of other keys (<c>a</c> and <c>a/b</c>).
/// </summary>
public sealed class LocalDirectoryObjectStore : IObjectStore
{
    private const string TempDirName = ".store-tmp";
    private const string UploadsDirName = ".store-uploads";
    private readonly string _root;
    private readonly string _temp;
    private readonly string _uploads;

    public LocalDirectoryObjectStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _root = Path.GetFullPath(rootDirectory);
        _temp = Path.Combine(_root, TempDirName);
        _uploads = Path.Combine(_root, UploadsDirName);
        Directory.CreateDirectory(_temp);
        Directory.CreateDirectory(_uploads);
    }

    /// <summary>Known without probing: exclusive create by link(2), overwrite allowed, real ETag on complete.</summary>
    public StoreCapabilities Capabilities { get; } = new(ExclusiveCreateMode.IfNoneMatch, true, false, true);

    public string Name => "file://" + _root;

    public Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken) =>
        Task.FromResult(Capabilities);

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult(info.Exists ? ToInfo(key, info) : null);
    }

    public async ValueTask ReadRangeAsync(
        string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var path = PathOf(key);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StoreException(StoreErrorKind.NotFound, $"GET {key}: no such object", e) { StatusCode = 404 };
        }

        using var handle = file.SafeFileHandle;
        if (expectedETag is not null && ETagOf(new FileInfo(path)) != expectedETag)
        {
            throw new StoreException(StoreErrorKind.ObjectChanged, $"GET {key}: object changed");
        }

        var length = RandomAccess.GetLength(handle);
        if (offset + destination.Length > length)
        {
            throw new StoreException(StoreErrorKind.InvalidRange, $"GET {key}: object ends before offset {offset + destination.Length}");
        }

        var done = 0;
        while (done < destination.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, destination[done..], offset + done, cancellationToken);
            if (n == 0)
            {
                throw new StoreException(StoreErrorKind.Truncated, $"GET {key}: file shrank while reading");
            }

            done += n;
        }
    }

    public async IAsyncEnumerable<ListEntry> ListAsync(
        string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await Task.Yield();
        var slash = prefix.LastIndexOf('/');
        var dir = slash < 0 ? _root : Path.Combine(_root, prefix[..slash]);
        if (!Directory.Exists(dir))
        {
            yield break;
        }

        var keys = new List<string>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !IsInternal(key))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        string? lastPrefix = null;
        foreach (var key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!string.IsNullOrEmpty(delimiter))
            {
                var cut = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (cut >= 0)
                {
                    var common = key[..(cut + delimiter.Length)];
                    if (common != lastPrefix)
                    {
                        lastPrefix = common;
                        yield return ListEntry.Prefix(common);
                    }

                    continue;
                }
            }

            var info = new FileInfo(Path.Combine(_root, key));
            if (info.Exists)
            {
                yield return ListEntry.ForObject(ToInfo(key, info));
            }
        }
    }

    public async Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        var temp = await WriteTempAsync(content, cancellationToken);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException e)
        {
            File.Delete(temp);
            throw new StoreException(StoreErrorKind.InvalidRequest, $"PUT {key}: {e.GetType().Name}", e);
        }

        return ToInfo(key, new FileInfo(path));
    }

    public async Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            // The claim: O_CREAT|O_EXCL, which the kernel makes exclusive. (File.Move without overwrite was not: two
            // racing writers both "won" in CI.)
            using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
            {
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        // Then the content, renamed over our own claim so a reader sees the empty claim or all of it, never a part.
        var temp = await WriteTempAsync(content, cancellationToken);
        File.Move(temp, path, overwrite: true);
        return true;
    }

    public async Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken)
    {
        PathOf(key);
        var id = Guid.NewGuid().ToString("N");
        var dir = Path.Combine(_uploads, id);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "key"), key, Encoding.UTF8, cancellationToken);
        return id;
    }

    public async Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partNumber, 10_000);
        var dir = UploadDir(key, uploadId);
        var temp = await WriteTempAsync(content, cancellationToken);
        var part = Path.Combine(dir, PartName(partNumber));
        File.Move(temp, part, overwrite: true);
        return new PartETag(partNumber, ETagOf(new FileInfo(part)));
    }

    public async Task<ObjectInfo> CompleteMultipartAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var dir = UploadDir(key, uploadId);
        if (parts.Count == 0)
        {
            throw new StoreException(StoreErrorKind.InvalidRequest, $"COMPLETE {key}: no parts");
        }

        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, true))
        {
            var previous = 0;
            foreach (var p in parts)
            {
                var partPath = Path.Combine(dir, PartName(p.PartNumber));
                var info = new FileInfo(partPath);
                if (p.PartNumber <= previous || !info.Exists || ETagOf(info) != p.ETag)
                {
                    throw new StoreException(StoreErrorKind.InvalidRequest, $"COMPLETE {key}: invalid part {p.PartNumber}");
                }

                previous = p.PartNumber;
                await using var input = new FileStream(partPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, true);
                await input.CopyToAsync(output, 1 << 20, cancellationToken);
            }
        }

        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(temp, path, overwrite: true);
        Directory.Delete(dir, recursive: true);
        return ToInfo(key, new FileInfo(path));
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        Directory.Delete(UploadDir(key, uploadId), recursive: true);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(
        string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var uploads = new List<PendingUpload>();
        foreach (var dir in Directory.EnumerateDirectories(_uploads))
        {
            var keyFile = Path.Combine(dir, "key");
            if (!File.Exists(keyFile))
            {
                continue;
            }

            var key = await File.ReadAllTextAsync(keyFile, Encoding.UTF8, cancellationToken);
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                uploads.Add(new PendingUpload(key, Path.GetFileName(dir), Directory.GetCreationTimeUtc(dir)));
            }
        }

        uploads.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var u in uploads)
        {
            yield return u;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    private string UploadDir(string key, string uploadId)
    {
        var dir = Path.Combine(_uploads, uploadId);
        if (uploadId.Length != 32 || !uploadId.All(char.IsAsciiHexDigitLower) || !Directory.Exists(dir) ||
            File.ReadAllText(Path.Combine(dir, "key"), Encoding.UTF8) != key)
        {
            throw new StoreException(StoreErrorKind.NotFound, $"multipart {key}: no such upload") { StatusCode = 404 };
        }

        return dir;
    }

    private async Task<string> WriteTempAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, true);
        await file.WriteAsync(content, cancellationToken);
        await file.FlushAsync(cancellationToken);
        return temp;
    }

    private string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.StartsWith('/') || key.EndsWith('/') || key.Contains('\0', StringComparison.Ordinal) || IsInternal(key) ||
            key.Split('/').Any(static s => s is "" or "." or ".."))
        {
            throw new StoreException(StoreErrorKind.InvalidRequest, $"key {key} is not valid for a local store");
        }

        return Path.Combine(_root, key);
    }

    private static bool IsInternal(string key) =>
        key.StartsWith(TempDirName + "/", StringComparison.Ordinal) ||
        key.StartsWith(UploadsDirName + "/", StringComparison.Ordinal);

    private static string PartName(int partNumber) => partNumber.ToString("D5", CultureInfo.InvariantCulture);

    private static ObjectInfo ToInfo(string key, FileInfo info) =>
        new(key, info.Length, ETagOf(info), new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero));

    private static string ETagOf(FileInfo info) =>
        string.Create(CultureInfo.InvariantCulture, $"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"");
}
