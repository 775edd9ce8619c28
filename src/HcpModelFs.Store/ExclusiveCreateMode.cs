namespace HcpModelFs.Store;

/// <summary>How a store lets us create a key only if it is absent.</summary>
public enum ExclusiveCreateMode
{
    /// <summary>Not detected yet.</summary>
    Unknown = 0,

    /// <summary><c>If-None-Match: *</c> is honoured (412 when the key exists): AWS S3, MinIO, Ceph RGW.</summary>
    IfNoneMatch,

    /// <summary>Any write to an existing key is refused with 409 Conflict (HCP default namespaces).</summary>
    ConflictOnExisting,

    /// <summary>Neither: leases are off (a warning is logged).</summary>
    None,
}
