using HcpModelFs.Core.Transfer;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Import;

/// <summary>Where the bytes of one file's parts come from.</summary>
internal interface IPartSource : IDisposable
{
    /// <summary>Parts may be filled at once and in any order (ranged GETs); false: one at a time, in file order.</summary>
    bool Concurrent { get; }

    ValueTask FillAsync(FilePart part, Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>One ranged GET per part, each pinned to the listed ETag (If-Match): a changed object fails, never mixes versions.</summary>
internal sealed class RangedPartSource(IObjectStore store, string key, string etag, string url) : IPartSource
{
    public bool Concurrent => true;

    public async ValueTask FillAsync(FilePart part, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await store.ReadRangeAsync(key, part.Offset, buffer, PinOrNone(etag), cancellationToken);
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.ObjectChanged or StoreErrorKind.NotFound or StoreErrorKind.InvalidRange)
        {
            throw SourceChangedException.For(url, e);
        }
    }

    /// <summary>A listing without ETags (rare stores) cannot pin reads: they go unpinned rather than send an empty If-Match.</summary>
    public static string? PinOrNone(string etag) => string.IsNullOrEmpty(etag) ? null : etag;

    public void Dispose()
    {
    }
}

/// <summary>
/// One whole-object GET per file for a source that refuses ranges, read front to back into the part buffers. The
/// open is pinned to the listed ETag (If-Match) and the answer's ETag and length are compared too, for servers that
/// ignore If-Match.
/// </summary>
internal sealed class StreamedPartSource(IObjectStreamReader reader, SourceFile file, string url, TimeSpan partTimeout) : IPartSource
{
    private ObjectReadStream? _stream;
    private long _position;

    public bool Concurrent => false;

    public async ValueTask FillAsync(FilePart part, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (part.Offset != _position)
        {
            throw new InvalidOperationException($"streamed parts must come in order: asked for {part.Offset}, at {_position}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(partTimeout);
        try
        {
            _stream ??= await OpenAsync(cancellationToken);
            await _stream.ReadExactlyAsync(buffer, timeout.Token);
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.ObjectChanged or StoreErrorKind.NotFound)
        {
            throw SourceChangedException.For(url, e);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StoreException(StoreErrorKind.Timeout, $"GET {file.Key}: no part of the body within {partTimeout.TotalSeconds} s", e);
        }

        _position += buffer.Length;
    }

    public void Dispose() => _stream?.Dispose();

    private async Task<ObjectReadStream> OpenAsync(CancellationToken cancellationToken)
    {
        var stream = await reader.OpenReadAsync(file.Key, RangedPartSource.PinOrNone(file.ETag), cancellationToken);
        if (stream.Length != file.Size || (file.ETag.Length > 0 && !SameETag(stream.ETag, file.ETag)))
        {
            stream.Dispose();
            throw SourceChangedException.For(url);
        }

        return stream;
    }

    private static bool SameETag(string a, string b) => string.Equals(a.Trim('"'), b.Trim('"'), StringComparison.Ordinal);
}
