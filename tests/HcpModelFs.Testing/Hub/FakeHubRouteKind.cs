namespace HcpModelFs.Testing.Hub;

/// <summary>Route families of the fake Hub, for fault rules and the request log.</summary>
public enum FakeHubRouteKind
{
    Any,
    Api,
    Resolve,
    ResolveCache,
    Cdn,
}
