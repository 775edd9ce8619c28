namespace HcpModelFs.Hub;

/// <summary>Why a Hub call failed. Only <see cref="RateLimited"/> and <see cref="Unavailable"/> are transient.</summary>
public enum HubErrorKind
{
    /// <summary>The repo does not exist, or is private and the token has no access (the Hub does not tell).</summary>
    RepoNotFound,

    /// <summary>The branch, tag or commit does not exist in the repo.</summary>
    RevisionNotFound,

    /// <summary>The file or folder does not exist at that commit.</summary>
    EntryNotFound,

    /// <summary>The repo is gated and the caller is not authenticated or not approved.</summary>
    Gated,

    /// <summary>The token is invalid, or access was refused for another reason.</summary>
    Unauthorized,

    /// <summary>The repo has been disabled by the Hub.</summary>
    Disabled,

    /// <summary>Too many requests; <see cref="HubException.RetryAfter"/> says when to come back, if known.</summary>
    RateLimited,

    /// <summary>5xx, timeouts, resets or stalls that outlived the retries.</summary>
    Unavailable,

    /// <summary>Bytes or sizes do not match what the Hub advertised.</summary>
    Integrity,

    /// <summary>The Hub answered something this client does not understand (bad JSON, missing headers, 400, ...).</summary>
    Protocol,
}
