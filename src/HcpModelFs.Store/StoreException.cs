namespace HcpModelFs.Store;

/// <summary>
/// A typed store failure. Messages name the operation, key and status but never credentials (the S3 layer builds
/// them itself rather than passing server or SDK text through).
/// </summary>
public sealed class StoreException : Exception
{
    public StoreException()
        : this(StoreErrorKind.Unknown, "store error")
    {
    }

    public StoreException(string message)
        : this(StoreErrorKind.Unknown, message)
    {
    }

    public StoreException(string message, Exception innerException)
        : this(StoreErrorKind.Unknown, message, innerException)
    {
    }

    public StoreException(StoreErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public StoreErrorKind Kind { get; }

    /// <summary>HTTP status where there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Server-suggested wait (Retry-After) for throttling answers.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// The request may have taken effect (timeout or reset after sending; an error inside a 200 answer): retrying a
    /// non-idempotent call is then unsafe.
    /// </summary>
    public bool Ambiguous { get; init; }

    /// <summary>Worth retrying: throttling, 5xx, timeouts, resets, truncated bodies.</summary>
    public bool IsTransient => Kind is StoreErrorKind.Throttled or StoreErrorKind.Unavailable or StoreErrorKind.Timeout
        or StoreErrorKind.ConnectionReset or StoreErrorKind.Truncated;
}
