using System.Security.Cryptography;
using System.Text;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Hub.Http;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>
/// The object graph behind `mount` and `prefetch`: store, catalog (falling back to the Hub when policy allows),
/// block cache and ingest coordinator. Owns and disposes all of it.
/// </summary>
internal sealed class ModelServices : IDisposable
{
    private readonly ModelCatalog _storeCatalog;
    private readonly HttpModelHub? _hub;
    private readonly HubFallbackCatalog? _hubCatalog;
    private readonly CacheDirectoryLock _cacheLock;

    /// <param name="settings">The daemon's settings.</param>
    /// <param name="loggerFactory">Logs.</param>
    /// <param name="cacheDirectory">A scratch cache instead of the settings' one (commands that keep nothing).</param>
    /// <param name="ingestThroughCache">False where nothing reads the blocks an ingest fetches (a prefetch without
    /// --warm-cache): the upload takes them from the Hub straight into its part buffers.</param>
    public ModelServices(DaemonSettings settings, ILoggerFactory loggerFactory, string? cacheDirectory = null, bool ingestThroughCache = true)
    {
        CacheDirectory = cacheDirectory ?? settings.CacheDirectory;
        // One owner per cache directory: a second daemon on it refuses here, before it touches a file.
        _cacheLock = CacheDirectoryLock.TryAcquire(CacheDirectory, out var holder)
            ?? throw new IOException(CacheDirectoryLock.DescribeHeld(CacheDirectory, holder) + "; stop it or use another MODEL_CACHE_DIR / --cache-dir");
        Store = ObjectStoreFactory.Create(
            settings.Store with { FailureLogInterval = settings.LogRepeatInterval }, settings.LocalStoreDirectory, loggerFactory);
        Layout = new StoreLayout(settings.Store.Prefix);
        var catalogOptions = new CatalogOptions
        {
            ListingTtl = settings.ListingTtl,
            PlainTtl = settings.ListingTtl,
            MaxIndexKeys = settings.ListingMaxKeys,
        };
        _storeCatalog = new ModelCatalog(Store, Layout, catalogOptions, loggerFactory.CreateLogger<ModelCatalog>());
        Cache = new DiskBlockCache(
            new DiskBlockCacheOptions
            {
                Directory = CacheDirectory,
                BlockSize = settings.BlockSize,
                MaxBytes = settings.CacheMaxBytes ?? long.MaxValue,
                MemoryBytes = settings.CacheMemoryBytes,
                DirectWrites = settings.CacheDirectWrites,
            },
            loggerFactory.CreateLogger<DiskBlockCache>());

        Catalog = _storeCatalog;
        if (settings.HubPolicy.Enabled)
        {
            _hub = new HttpModelHub(settings.Hub, loggerFactory.CreateLogger<HttpModelHub>());
            _hubCatalog = new HubFallbackCatalog(_storeCatalog, _hub, settings.HubPolicy, Layout, catalogOptions, loggerFactory.CreateLogger<HubFallbackCatalog>(), writeTarget: Store);
            Catalog = _hubCatalog;
            Ingest = new IngestCoordinator(Store, _hub, Cache, Layout, new IngestOptions
            {
                // The settings' cache directory (not a scratch one): a restarted daemon recognises its own lease.
                NodeId = NodeIdFor(settings.CacheDirectory),
                LeaseTtl = settings.LeaseTtl,
                PollInterval = settings.IngestPollInterval,
                FollowWait = settings.IngestFollowWait,
                ThroughCache = ingestThroughCache,
                PartsInFlight = settings.IngestPartsInFlight,
            }, loggerFactory);
            Ingest.Committed += job => Catalog.Invalidate(job.Org, job.Model);
        }
    }

    public IObjectStore Store { get; }

    /// <summary>The Hub client; null when Hub ingest is off.</summary>
    public HttpModelHub? Hub => _hub;

    public StoreLayout Layout { get; }

    public IModelCatalog Catalog { get; }

    public DiskBlockCache Cache { get; }

    public string CacheDirectory { get; }

    /// <summary>Null when Hub ingest is off (HCPMODELFS_HUB_INGEST=off).</summary>
    public IngestCoordinator? Ingest { get; }

    public void Dispose()
    {
        Ingest?.Dispose();
        Cache.Dispose();
        _hubCatalog?.Dispose();
        _storeCatalog.Dispose();
        _hub?.Dispose();
        (Store as IDisposable)?.Dispose();
        _cacheLock.Dispose();
    }

    private static string NodeIdFor(string cacheDirectory) =>
        Environment.MachineName + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(cacheDirectory))))[..12];
}
