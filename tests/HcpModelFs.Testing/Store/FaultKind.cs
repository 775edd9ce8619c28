namespace HcpModelFs.Testing.Store;

/// <summary>What <see cref="S3FaultProxy"/> does to a matching request.</summary>
public enum FaultKind
{
    /// <summary>Answer 503 SlowDown (S3 XML) without forwarding.</summary>
    SlowDown,

    /// <summary>Answer 429 with <c>Retry-After</c> without forwarding.</summary>
    TooManyRequests,

    /// <summary>Answer 500 InternalError without forwarding.</summary>
    InternalError,

    /// <summary>Answer 501 NotImplemented without forwarding (e.g. multipart disabled on an HCP namespace).</summary>
    NotImplemented,

    /// <summary>Answer 200 OK whose body is an S3 error document (as CompleteMultipartUpload can), without forwarding.</summary>
    ErrorInOk,

    /// <summary>Forward; send the head and <see cref="FaultRule.AfterBytes"/> body bytes, then reset (RST).</summary>
    ResetMidBody,

    /// <summary>Forward; send the head (full Content-Length) and <see cref="FaultRule.AfterBytes"/> bytes, then close (FIN).</summary>
    TruncateBody,

    /// <summary>Answer 403 AccessDenied without forwarding (e.g. HCP refusing a DELETE under retention or a hold).</summary>
    Forbidden,

    /// <summary>Forward after waiting <see cref="FaultRule.Delay"/>.</summary>
    Latency,

    /// <summary>Forward; send the head and <see cref="FaultRule.AfterBytes"/> bytes, then nothing for <see cref="FaultRule.Delay"/>, then reset.</summary>
    Stall,

    /// <summary>Answer 416 InvalidRange without forwarding (a server that refuses Range headers).</summary>
    RangeNotSatisfiable,

    /// <summary>
    /// Answer 200 with the whole object, as a server that ignores Range does, from
    /// <see cref="S3FaultProxy.WholeObjectSource"/> (the Range header is signed, so it cannot be stripped and forwarded).
    /// </summary>
    IgnoreRange,

    /// <summary>Run <see cref="FaultRule.Callback"/> (a test's hook: overwrite an object, kill a process), then forward.</summary>
    Callback,

    /// <summary>Read the request and never answer (the connection stays open until the client closes it or the proxy ends).</summary>
    NoAnswer,
}
