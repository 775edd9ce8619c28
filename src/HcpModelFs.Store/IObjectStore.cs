namespace HcpModelFs.Store;

/// <summary>
/// An S3-like object store as HcpModelFs needs it: immutable objects, ranged reads into caller buffers, paged listing,
/// multipart upload and an exclusive create for lease keys. Every failure surfaces as a <see cref="StoreException"/>
/// with a <see cref="StoreErrorKind"/>; a missing object on <see cref="HeadAsync"/> is <c>null</c>, not an error.
/// </summary>
public interface IObjectStore
{
    /// <summary>What this store honours (exclusive create, overwrite, quirks). Detected once at start-up.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>A short name for logs and metrics (endpoint + bucket, or the local directory).</summary>
    string Name { get; }

    /// <summary>Probes the store with scratch keys under <paramref name="scratchPrefix"/> and records the result.</summary>
    Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken);

    /// <summary>Metadata of an object, or <c>null</c> when there is none.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Reads exactly <c>destination.Length</c> bytes starting at <paramref name="offset"/>. A body that ends early is
    /// continued from where it stopped; it is never returned short. Fails with
    /// <see cref="StoreErrorKind.InvalidRange"/> when the object is shorter, <see cref="StoreErrorKind.ObjectChanged"/>
    /// when <paramref name="expectedETag"/> is given and no longer matches.
    /// </summary>
    ValueTask ReadRangeAsync(
        string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken);

    /// <summary>Objects and common prefixes under <paramref name="prefix"/> in key (byte) order, fetched page by page.</summary>
    IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken);

    /// <summary>Writes a whole object (fails with <see cref="StoreErrorKind.AlreadyExists"/> where overwrite is refused).</summary>
    Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Creates the object only if the key is free: <c>true</c> = created by us, <c>false</c> = it existed.</summary>
    Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken);

    Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Completes an upload; the returned ETag is the store's real one (HEAD afterwards where the store omits it).</summary>
    Task<ObjectInfo> CompleteMultipartAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken);

    Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken);

    /// <summary>Unfinished uploads under a prefix, so that abandoned ones can be aborted.</summary>
    IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an object; deleting a missing key succeeds.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}
