namespace HcpModelFs.Store;

/// <summary>
/// What a store honours, detected once at start-up (<see cref="IObjectStore.DetectCapabilitiesAsync"/>) and then fixed.
/// Known personalities: AWS/MinIO/RGW = <see cref="ExclusiveCreateMode.IfNoneMatch"/> with overwrite allowed;
/// HCP = <see cref="ExclusiveCreateMode.ConflictOnExisting"/>, no overwrite, deletes possibly forbidden by retention.
/// Ceph RGW 16 answers CompleteMultipartUpload with an empty ETag (<see cref="CompleteMultipartOmitsETag"/>); the store
/// then HEADs the object to return the real one. An HCP administrator may disable multipart per namespace
/// (<see cref="MultipartSupported"/> false: upload whole objects with PUT instead).
/// </summary>
public sealed record StoreCapabilities(
    ExclusiveCreateMode ExclusiveCreate,
    bool OverwriteAllowed,
    bool CompleteMultipartOmitsETag,
    bool DeleteAllowed,
    bool MultipartSupported = true)
{
    /// <summary>Before detection: nothing is assumed.</summary>
    public static StoreCapabilities Undetected { get; } = new(ExclusiveCreateMode.Unknown, true, false, true);

    /// <summary>Leases can be created safely.</summary>
    public bool SupportsLeases =>
        ExclusiveCreate is ExclusiveCreateMode.IfNoneMatch or ExclusiveCreateMode.ConflictOnExisting;
}
