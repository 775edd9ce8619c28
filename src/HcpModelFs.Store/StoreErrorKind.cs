namespace HcpModelFs.Store;

/// <summary>Why a store call failed. The Core layer maps these onto errnos.</summary>
public enum StoreErrorKind
{
    Unknown = 0,
    NotFound,
    AlreadyExists,
    PreconditionFailed,
    ObjectChanged,
    InvalidRange,
    AccessDenied,
    Throttled,
    Unavailable,
    CircuitOpen,
    Timeout,
    ConnectionReset,
    Truncated,
    NotSupported,
    InvalidRequest,
}
