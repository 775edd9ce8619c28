namespace HcpModelFs.Hub;

/// <summary>
/// A typed Hub failure. The message never contains the token, nor the query string of a signed URL.
/// </summary>
public sealed class HubException : Exception
{
    public HubException()
        : this(HubErrorKind.Protocol, "Hub request failed.")
    {
    }

    public HubException(string message)
        : this(HubErrorKind.Protocol, message)
    {
    }

    public HubException(string message, Exception innerException)
        : this(HubErrorKind.Protocol, message, innerException: innerException)
    {
    }

    public HubException(
        HubErrorKind kind,
        string message,
        int? statusCode = null,
        TimeSpan? retryAfter = null,
        string? requestId = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        RequestId = requestId;
    }

    public HubErrorKind Kind { get; }

    /// <summary>HTTP status of the last answer, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>For <see cref="HubErrorKind.RateLimited"/>: how long the Hub asked us to wait, if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The Hub's X-Request-Id, for support requests.</summary>
    public string? RequestId { get; }

    /// <summary>True for kinds that a later attempt may cure.</summary>
    public bool IsTransient => Kind is HubErrorKind.RateLimited or HubErrorKind.Unavailable;
}
