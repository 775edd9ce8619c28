using HcpModelFs.Store;

namespace HcpModelFs.Core.Catalog;

/// <summary>Exclusive creates (refs, leases, manifests) need to know how the store refuses an existing key.</summary>
internal static class StoreCapabilityCheck
{
    public static async Task EnsureDetectedAsync(IObjectStore store, StoreLayout layout, CancellationToken cancellationToken)
    {
        if (store.Capabilities.ExclusiveCreate == ExclusiveCreateMode.Unknown)
        {
            await store.DetectCapabilitiesAsync(layout.Prefix + StoreLayout.MetaFolder + "/probe/", cancellationToken);
        }
    }
}
