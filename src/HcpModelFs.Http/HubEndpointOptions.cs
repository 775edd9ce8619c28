using System.Net;

namespace HcpModelFs.Http;

/// <summary>Settings of the Hub-compatible HTTP endpoint (`hcpmodelfs serve`, `mount --serve`).</summary>
public sealed record HubEndpointOptions
{
    /// <summary>Where to listen; loopback by default (HCPMODELFS_HTTP_LISTEN, --listen). Port 0 picks a free port.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 8080);

    /// <summary>
    /// Scheme, host and port clients reach us by, for the absolute URLs we emit (tree pagination Link). Null: taken
    /// from each request's Host header, which is right unless a proxy rewrites it.
    /// </summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>Tree entries per page (the Hub: 1000; 50 with expand=true).</summary>
    public int TreePageSize { get; init; } = 1000;

    /// <summary>Tree entries per page with expand=true.</summary>
    public int TreeExpandPageSize { get; init; } = 50;

    /// <summary>
    /// Bearer tokens clients must present (one of them), or null for an open endpoint. Only their hashes are kept in
    /// memory beyond start-up, and they are never logged.
    /// </summary>
    public IReadOnlyCollection<string>? AllowedTokens { get; init; }

    /// <summary>
    /// Start the ingest of a model the store lacks when its metadata is asked for (HCPMODELFS_INGEST_ON=lookup), as a
    /// mount lookup does; otherwise the first file download starts it (the default, as the first open on the mount).
    /// </summary>
    public bool StartIngestOnLookup { get; init; }

    /// <summary>Largest chunk copied from the cache to a response at once (a block is never straddled); two per response.</summary>
    public int ChunkBytes { get; init; } = 2 << 20;

    /// <summary>While requests keep failing for the same reason (store or Hub down), one summary line per this interval.</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(60);
}
