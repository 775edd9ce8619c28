namespace HcpModelFs.Testing.Hub;

public enum FakeHubFaultKind
{
    /// <summary>Answer with <see cref="FakeHubFault.StatusCode"/> (500/502/503/504/408...) and a JSON error.</summary>
    Status,

    /// <summary>429 with Retry-After and/or <c>RateLimit: ...;r=0;t=N</c>.</summary>
    RateLimited,

    /// <summary>Send <see cref="FakeHubFault.AfterBytes"/> body bytes, then abort the connection.</summary>
    ResetAfterBytes,

    /// <summary>After <see cref="FakeHubFault.AfterBytes"/> body bytes, send nothing for <see cref="FakeHubFault.Duration"/>.</summary>
    Stall,

    /// <summary>Cap the body at <see cref="FakeHubFault.BytesPerSecond"/>.</summary>
    Throttle,

    /// <summary>Answer a Range request with 200 and the whole body.</summary>
    IgnoreRange,

    /// <summary>CDN: 403 as if the signed URL had expired.</summary>
    ExpiredSignature,

    /// <summary>Flip the body byte at absolute offset <see cref="FakeHubFault.AfterBytes"/> (if inside the range).</summary>
    WrongBytes,

    /// <summary>Resolve: advertise X-Linked-Size one byte larger than the content.</summary>
    WrongLinkedSize,

    /// <summary>200 with a JSON content type and a body that is not JSON (cut off mid-array).</summary>
    BadJson,

    /// <summary>Drop the JSON properties named in <see cref="FakeHubFault.Fields"/> wherever they occur.</summary>
    MissingFields,

    /// <summary>Declare a Content-Length <see cref="FakeHubFault.AfterBytes"/> (default 1) larger than the body sent, then close.</summary>
    LyingContentLength,

    /// <summary>Metadata JSON advertises a different sha256 (every 64-hex "oid"/"sha256" value has its last digit changed).</summary>
    WrongSha256,

    /// <summary>Answer 302 with Location = the request's own target, for ever.</summary>
    EndlessRedirect,
}
