namespace HcpModelFs.Testing.Store;

/// <summary>A request as the proxy saw it, and how it was answered (Status 0 = connection broken by a fault).</summary>
public sealed record ProxyRequest(string Method, string Path, string Query, string? Bucket, string? Key, string? Range)
{
    public int Status { get; internal set; }

    public FaultKind? Fault { get; internal set; }

    /// <summary>The request's If-None-Match header, if any.</summary>
    public string? IfNoneMatch { get; internal set; }
}
