using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hosting;

/// <summary>
/// Store round trips before the mount (or endpoint) is announced: the organisation listing, and the resolve of one
/// model (its ref and manifest, and one byte of the manifest as a ranged GET). They open a connection and compile the code of a model lookup — the S3 client's
/// request and response paths, the resilience pipeline, the manifest's JSON — which otherwise lands on the first
/// reader: measured on a fresh ReadyToRun mount, ~900 methods compiled during the first lookup, hundreds of
/// milliseconds of time to first byte. Reads no file data, so it changes no cache and counts no GET of a file.
/// A store that is down does not stop the start: readers then get EIO until it is back.
/// </summary>
internal static class CatalogWarmUp
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    public static async Task RunAsync(IModelCatalog catalog, IObjectStore store, StoreLayout layout, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Limit);
            var orgs = await catalog.ListOrganizationsAsync(timeout.Token);
            if (orgs.Count == 0)
            {
                return;
            }

            // One page of the organisation's top level names a model; its listing as a whole (the catalog's index, which
            // a large organisation pays for in many pages) is left to whoever reads that directory.
            var orgPrefix = layout.OrgPrefix(orgs[0]);
            await foreach (var entry in store.ListAsync(orgPrefix, "/", timeout.Token))
            {
                if (entry.IsPrefix)
                {
                    var model = entry.Key[orgPrefix.Length..].TrimEnd('/');
                    if (await catalog.ResolveAsync(orgs[0], model, null, timeout.Token) is { } revision)
                    {
                        // One ranged GET (a byte of the manifest, not of a file): the read path's own generic code —
                        // the retry pipeline over a ranged read — is JIT-compiled here, not on a fresh mount's first READ.
                        await store.ReadRangeAsync(
                            layout.ManifestKey(revision.Org, revision.Model, revision.Commit), 0, new byte[1], null, timeout.Token);
                    }

                    break;
                }
            }
        }
        catch (Exception ex) when (ex is StoreException or OperationCanceledException)
        {
            DaemonLog.StoreNotReachable(logger, ex.Message);
        }
    }
}
