using System.Collections.Concurrent;
using HcpModelFs.Store;

namespace HcpModelFs.Testing.Fakes;

/// <summary>
/// Wraps a store and fails chosen calls: <see cref="FailNext"/> queues failures per operation ("read", "head",
/// "put", "create_exclusive", "complete_multipart", ...). A queued failure with <c>partialBytes</c> on "read" first
/// copies that many bytes into the destination (a short body), then throws.
/// </summary>
public sealed class FaultInjectingObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(Func<Exception> Error, int PartialBytes)>> _faults =
        new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public FaultInjectingObjectStore(IObjectStore inner)
    {
        _inner = inner;
    }

    public StoreCapabilities Capabilities => _inner.Capabilities;

    public string Name => "faulty-" + _inner.Name;

    /// <summary>Calls seen per operation, failed ones included.</summary>
    public int Calls(string operation) => _calls.TryGetValue(operation, out var n) ? n : 0;

    public void FailNext(string operation, Func<Exception> error, int times = 1, int partialBytes = 0)
    {
        var q = _faults.GetOrAdd(operation, _ => new ConcurrentQueue<(Func<Exception>, int)>());
        for (var i = 0; i < times; i++)
        {
            q.Enqueue((error, partialBytes));
        }
    }

    public Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken) =>
        _inner.DetectCapabilitiesAsync(scratchPrefix, cancellationToken);

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        Check("head");
        return _inner.HeadAsync(key, cancellationToken);
    }

    public async ValueTask ReadRangeAsync(
        string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken)
    {
        _calls.AddOrUpdate("read", 1, static (_, n) => n + 1);
        if (_faults.TryGetValue("read", out var q) && q.TryDequeue(out var fault))
        {
            if (fault.PartialBytes > 0)
            {
                await _inner.ReadRangeAsync(key, offset, destination[..Math.Min(fault.PartialBytes, destination.Length)],
                    expectedETag, cancellationToken);
            }

            throw fault.Error();
        }

        await _inner.ReadRangeAsync(key, offset, destination, expectedETag, cancellationToken);
    }

    public IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken)
    {
        Check("list");
        return _inner.ListAsync(prefix, delimiter, cancellationToken);
    }

    public Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Check("put");
        return _inner.PutAsync(key, content, cancellationToken);
    }

    public Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Check("create_exclusive");
        return _inner.CreateExclusiveAsync(key, content, cancellationToken);
    }

    public Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken)
    {
        Check("create_multipart");
        return _inner.CreateMultipartAsync(key, cancellationToken);
    }

    public Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Check("upload_part");
        return _inner.UploadPartAsync(key, uploadId, partNumber, content, cancellationToken);
    }

    public Task<ObjectInfo> CompleteMultipartAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken)
    {
        Check("complete_multipart");
        return _inner.CompleteMultipartAsync(key, uploadId, parts, cancellationToken);
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        Check("abort_multipart");
        return _inner.AbortMultipartAsync(key, uploadId, cancellationToken);
    }

    public IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(string prefix, CancellationToken cancellationToken) =>
        _inner.ListMultipartUploadsAsync(prefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Check("delete");
        return _inner.DeleteAsync(key, cancellationToken);
    }

    private void Check(string operation)
    {
        _calls.AddOrUpdate(operation, 1, static (_, n) => n + 1);
        if (_faults.TryGetValue(operation, out var q) && q.TryDequeue(out var fault))
        {
            throw fault.Error();
        }
    }
}
