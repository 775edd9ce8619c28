namespace HcpModelFs.Testing.Hub;

/// <summary>How the fake Hub's /resolve answers for a file (spec §10.2).</summary>
public enum FakeResolveMode
{
    /// <summary>200/206 with the bytes from the Hub host (regular files by default).</summary>
    Direct,

    /// <summary>302 to a signed URL on the CDN listener, with X-Linked-* (LFS files by default).</summary>
    Redirect,

    /// <summary>Relative 307 to /api/resolve-cache/models/{id}/{sha}/{path} on the Hub host.</summary>
    ResolveCache,
}
