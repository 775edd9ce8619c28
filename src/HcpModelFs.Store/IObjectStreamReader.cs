namespace HcpModelFs.Store;

/// <summary>
/// A whole-object GET read front to back, for sources that refuse ranged reads (a 200 with the whole body, or 416/501
/// to a Range header). Optional beside <see cref="IObjectStore"/> (the S3 store and the resilience decorator over it
/// implement it) so existing stores and test fakes need not change.
/// </summary>
public interface IObjectStreamReader
{
    /// <summary>
    /// Opens the object; fails with <see cref="StoreErrorKind.ObjectChanged"/> when <paramref name="expectedETag"/> is
    /// given and no longer matches (If-Match), <see cref="StoreErrorKind.NotFound"/> when it is gone.
    /// </summary>
    Task<ObjectReadStream> OpenReadAsync(string key, string? expectedETag, CancellationToken cancellationToken);
}
