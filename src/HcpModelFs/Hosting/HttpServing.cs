using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Http;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>Starts the Hub-compatible HTTP endpoint over the daemon's services (for `serve` and `mount --serve`).</summary>
internal static class HttpServing
{
    public static Task<HubEndpoint> StartAsync(DaemonSettings settings, string listen, ModelServices services, Prefetcher prefetcher, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var options = new HubEndpointOptions
        {
            Listen = HubEndpoint.ParseListen(listen),
            PublicUrl = settings.HttpPublicUrl,
            TreePageSize = settings.HttpTreePageSize,
            TreeExpandPageSize = Math.Min(50, settings.HttpTreePageSize),
            AllowedTokens = settings.HttpTokensFile is { } file ? ReadTokens(file) : null,
            StartIngestOnLookup = settings.HubPolicy.Trigger == IngestTrigger.Lookup,
            FailureLogInterval = settings.LogRepeatInterval,
        };
        return HubEndpoint.StartAsync(
            services.Catalog, services.Cache, new StoreBlockSource(services.Store), services.Ingest, prefetcher, options, loggerFactory, cancellationToken);
    }

    /// <summary>The same prefetcher settings as the mount's: one global in-flight limit for both doors.</summary>
    public static Prefetcher CreatePrefetcher(DaemonSettings settings, IBlockCache cache, ILoggerFactory loggerFactory) => new(cache, new PrefetchOptions
    {
        MaxInFlight = settings.PrefetchInFlight,
        FailureLogInterval = settings.LogRepeatInterval,
        // Never run further ahead than a quarter of the cache, or prefetch would evict what readers need.
        MaxAheadBytes = Math.Min(4L << 30, (settings.CacheMaxBytes ?? long.MaxValue) / 4),
        // Half the block memory: checked blocks stay in memory until the reader gets there, beside the fetches in flight.
        CheckAheadBytes = Math.Max(settings.BlockSize, settings.CacheMemoryBytes / 2),
    }, loggerFactory.CreateLogger<Prefetcher>());

    private static string[] ReadTokens(string path)
    {
        // One token a line; blank lines and # comments ignored. An empty list would lock everyone out: refuse it.
        var tokens = File.ReadAllLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        return tokens.Length > 0 ? tokens : throw new FormatException("HCPMODELFS_HTTP_TOKENS_FILE names a file without tokens");
    }
}
