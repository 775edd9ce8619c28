using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Hosting;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands.Cli;

/// <summary>
/// The store side of an operator command (`ls`, `info`, `rm`): store, layout, catalog (no Hub fallback: these commands
/// report what the store holds) and inventory. <see cref="RunAsync"/> turns store failures into one actionable line.
/// </summary>
internal sealed class StoreSession : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private StoreSession(DaemonSettings settings)
    {
        Settings = settings;
        _loggerFactory = QuietLogging(settings);
        Store = ObjectStoreFactory.Create(settings.Store, settings.LocalStoreDirectory, _loggerFactory);
        Layout = new StoreLayout(settings.Store.Prefix);
        Catalog = new ModelCatalog(Store, Layout, new CatalogOptions(), _loggerFactory.CreateLogger<ModelCatalog>());
        Inventory = new ModelInventory(Store, Layout);
    }

    public DaemonSettings Settings { get; }

    public IObjectStore Store { get; }

    public StoreLayout Layout { get; }

    public ModelCatalog Catalog { get; }

    public ModelInventory Inventory { get; }

    /// <summary>Runs <paramref name="body"/> with a session; store failures end it with one line and exit 1.</summary>
    public static async Task<int> RunAsync(CliOutput output, DaemonSettings settings, Func<StoreSession, Task<int>> body, CancellationToken cancellationToken)
    {
        using var session = new StoreSession(settings);
        try
        {
            return await body(session);
        }
        catch (StoreException ex)
        {
            return output.Fail(Describe(ex, session.Store.Name));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return output.Fail("interrupted before anything was changed", ExitCodes.Interrupted);
        }
    }

    /// <summary>A store failure as a person can act on it: what went wrong, where, and what to check.</summary>
    public static string Describe(StoreException ex, string store) => ex.Kind switch
    {
        StoreErrorKind.Unavailable or StoreErrorKind.CircuitOpen or StoreErrorKind.Timeout or StoreErrorKind.ConnectionReset =>
            $"cannot reach the object store {store} ({ex.Message}); check HCP_ENDPOINT and the network",
        StoreErrorKind.AccessDenied =>
            $"the object store {store} refused access ({ex.Message}); check HCP_ACCESS_KEY / HCP_SECRET_KEY and the namespace permissions",
        StoreErrorKind.NotFound => $"not found in the object store {store} ({ex.Message}); check HCP_NAMESPACE",
        _ => $"object store error ({ex.Kind}) on {store}: {ex.Message}",
    };

    /// <summary>
    /// These commands report through their output; log lines on stderr would break "one line per error". Debug and
    /// Verbose still log, for a person chasing a problem.
    /// </summary>
    public static ILoggerFactory QuietLogging(DaemonSettings settings) =>
        Logging.Create(settings.LogLevel is "Debug" or "Verbose" ? settings.LogLevel : "Fatal", settings.LogFormat, settings.LogFile);

    public void Dispose()
    {
        Catalog.Dispose();
        (Store as IDisposable)?.Dispose();
        _loggerFactory.Dispose();
    }
}
