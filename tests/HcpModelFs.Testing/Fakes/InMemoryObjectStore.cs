using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using HcpModelFs.Store;

namespace HcpModelFs.Testing.Fakes;

/// <summary>
/// An in-memory <see cref="IObjectStore"/> held honest by the contract tests. <c>hcpPersonality</c> makes it refuse
/// any write to an existing key with AlreadyExists (HCP's 409). Counts operations for assertions.
/// </summary>
public sealed class InMemoryObjectStore : IObjectStore
{
    private readonly ConcurrentDictionary<string, Entry> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();

    /// <param name="hcpPersonality">409 on existing keys, no overwrite (HCP).</param>
    /// <param name="time">The store's clock.</param>
    /// <param name="multipart">False: multipart uploads refused, as an HCP namespace can be configured.</param>
    public InMemoryObjectStore(bool hcpPersonality = false, TimeProvider? time = null, bool multipart = true)
    {
        _time = time ?? TimeProvider.System;
        Capabilities = hcpPersonality
            ? new StoreCapabilities(ExclusiveCreateMode.ConflictOnExisting, false, false, true, multipart)
            : new StoreCapabilities(ExclusiveCreateMode.IfNoneMatch, true, false, true, multipart);
    }

    public StoreCapabilities Capabilities { get; }

    public string Name => "memory";

    /// <summary>How many times an operation ("head", "read", "list", "put", ...) was called.</summary>
    public int Count(string operation) => _counts.TryGetValue(operation, out var n) ? n : 0;

    /// <summary>Puts bytes without counting (test setup).</summary>
    public void Seed(string key, byte[] content) => _objects[key] = NewEntry(key, content);

    public Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken) =>
        Task.FromResult(Capabilities);

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        Bump("head");
        return Task.FromResult(_objects.TryGetValue(key, out var e) ? e.Info : null);
    }

    public ValueTask ReadRangeAsync(
        string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken)
    {
        Bump("read");
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (!_objects.TryGetValue(key, out var e))
        {
            throw new StoreException(StoreErrorKind.NotFound, $"GET {key}: no such object");
        }

        if (destination.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        if (expectedETag is not null && expectedETag != e.Info.ETag)
        {
            throw new StoreException(StoreErrorKind.ObjectChanged, $"GET {key}: object changed");
        }

        if (offset + destination.Length > e.Data.Length)
        {
            throw new StoreException(StoreErrorKind.InvalidRange, $"GET {key}: object ends before the range");
        }

        e.Data.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<ListEntry> ListAsync(
        string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // "list" counts listings, "list_page" the pages S3 would serve (1000 entries each, at least one).
        Bump("list");
        Bump("list_page");
        await Task.Yield();
        var yielded = 0;
        var keys = _objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
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
                        CountPage(yielded++);
                        yield return ListEntry.Prefix(common);
                    }

                    continue;
                }
            }

            if (_objects.TryGetValue(key, out var e))
            {
                CountPage(yielded++);
                yield return ListEntry.ForObject(e.Info);
            }
        }
    }

    private void CountPage(int yielded)
    {
        if (yielded > 0 && yielded % 1000 == 0)
        {
            Bump("list_page");
        }
    }

    public Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Bump("put");
        return Task.FromResult(Write(key, content.ToArray(), exclusive: false) ??
            throw new StoreException(StoreErrorKind.AlreadyExists, $"PUT {key}: HTTP 409") { StatusCode = 409 });
    }

    public Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Bump("create_exclusive");
        return Task.FromResult(Write(key, content.ToArray(), exclusive: true) is not null);
    }

    public Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken)
    {
        Bump("create_multipart");
        if (!Capabilities.MultipartSupported)
        {
            throw new StoreException(StoreErrorKind.NotSupported, $"CREATE-MULTIPART {key}: multipart uploads are disabled");
        }

        var id = Guid.NewGuid().ToString("N");
        _uploads[id] = new Upload(key, _time.GetUtcNow());
        return Task.FromResult(id);
    }

    public Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Bump("upload_part");
        var upload = GetUpload(key, uploadId);
        var data = content.ToArray();
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(data).AsSpan(0, 16)) + "\"";
        upload.Parts[partNumber] = (etag, data);
        return Task.FromResult(new PartETag(partNumber, etag));
    }

    public Task<ObjectInfo> CompleteMultipartAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        Bump("complete_multipart");
        var upload = GetUpload(key, uploadId);
        using var buffer = new MemoryStream();
        var previous = 0;
        foreach (var p in parts)
        {
            if (p.PartNumber <= previous || !upload.Parts.TryGetValue(p.PartNumber, out var part) || part.ETag != p.ETag)
            {
                throw new StoreException(StoreErrorKind.InvalidRequest, $"COMPLETE {key}: invalid part {p.PartNumber}");
            }

            previous = p.PartNumber;
            buffer.Write(part.Data);
        }

        var info = Write(key, buffer.ToArray(), exclusive: false) ??
            throw new StoreException(StoreErrorKind.AlreadyExists, $"COMPLETE {key}: HTTP 409") { StatusCode = 409 };
        _uploads.TryRemove(uploadId, out _);
        return Task.FromResult(info);
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        Bump("abort_multipart");
        GetUpload(key, uploadId);
        _uploads.TryRemove(uploadId, out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(
        string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Bump("list_multipart");
        await Task.Yield();
        foreach (var (id, u) in _uploads.OrderBy(p => p.Value.Key, StringComparer.Ordinal))
        {
            if (u.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new PendingUpload(u.Key, id, u.Initiated);
            }
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Bump("delete");
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    private ObjectInfo? Write(string key, byte[] data, bool exclusive)
    {
        lock (_writeLock)
        {
            if (_objects.ContainsKey(key) && (exclusive || !Capabilities.OverwriteAllowed))
            {
                return null;
            }

            var e = NewEntry(key, data);
            _objects[key] = e;
            return e.Info;
        }
    }

    private Entry NewEntry(string key, byte[] data)
    {
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(data).AsSpan(0, 16)) + "-" +
            _time.GetUtcNow().UtcTicks.ToString("x", CultureInfo.InvariantCulture) + "\"";
        return new Entry(data, new ObjectInfo(key, data.Length, etag, _time.GetUtcNow()));
    }

    private Upload GetUpload(string key, string uploadId) =>
        _uploads.TryGetValue(uploadId, out var u) && u.Key == key
            ? u
            : throw new StoreException(StoreErrorKind.NotFound, $"multipart {key}: no such upload");

    private void Bump(string operation) => _counts.AddOrUpdate(operation, 1, static (_, n) => n + 1);

    private sealed record Entry(byte[] Data, ObjectInfo Info);

    private sealed record Upload(string Key, DateTimeOffset Initiated)
    {
        public ConcurrentDictionary<int, (string ETag, byte[] Data)> Parts { get; } = new();
    }
}
