namespace HcpModelFs.Testing.Hub;

/// <summary>One request seen by the fake Hub.</summary>
public sealed record FakeHubRequest(
    string Method,
    bool OnCdn,
    FakeHubRouteKind Route,
    string Path,
    string Query,
    string? Range,
    bool HadAuthorization,
    string? UserAgent,
    string? AcceptEncoding,
    int Status,
    string? Fault);
