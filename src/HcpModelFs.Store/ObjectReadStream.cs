namespace HcpModelFs.Store;

/// <summary>
/// The body of an open whole-object GET. Reads that fail mid-body surface as <see cref="StoreException"/>
/// (<see cref="StoreErrorKind.ConnectionReset"/>), never as transport exceptions, so callers above the store layer
/// handle one exception type.
/// </summary>
public sealed class ObjectReadStream : IDisposable
{
    private readonly Stream _content;
    private readonly IDisposable? _owner;

    public ObjectReadStream(string key, Stream content, long length, string etag, IDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        Key = key;
        _content = content;
        Length = length;
        ETag = etag;
        _owner = owner;
    }

    public string Key { get; }

    /// <summary>The Content-Length the store announced.</summary>
    public long Length { get; }

    /// <summary>The ETag of the version being read.</summary>
    public string ETag { get; }

    /// <summary>Reads exactly <c>destination.Length</c> bytes, or fails with <see cref="StoreErrorKind.Truncated"/>.</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var received = 0;
        try
        {
            while (received < destination.Length)
            {
                var n = await _content.ReadAsync(destination[received..], cancellationToken);
                if (n == 0)
                {
                    throw new StoreException(StoreErrorKind.Truncated, $"GET {Key}: body ended after {received} of {destination.Length} more bytes");
                }

                received += n;
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException ||
            (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new StoreException(StoreErrorKind.ConnectionReset, $"GET {Key}: connection lost mid-body", e);
        }
    }

    public void Dispose()
    {
        _content.Dispose();
        _owner?.Dispose();
    }
}
