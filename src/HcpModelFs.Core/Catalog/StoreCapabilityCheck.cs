using System.Runtime.CompilerServices;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Catalog;

/// <summary>
/// Exclusive creates (refs, leases, manifests) need to know how the store refuses an existing key. The probe runs once
/// per store object (concurrent callers share it; a failed probe is retried by the next caller) and may be started
/// early, overlapping the lookups that come before the first write.
/// </summary>
internal static class StoreCapabilityCheck
{
    private static readonly ConditionalWeakTable<IObjectStore, Task> Probes = new();

    public static Task EnsureDetectedAsync(IObjectStore store, StoreLayout layout, CancellationToken cancellationToken) =>
        store.Capabilities.ExclusiveCreate == ExclusiveCreateMode.Unknown
            ? ProbeOnce(store, layout).WaitAsync(cancellationToken)
            : Task.CompletedTask;

    /// <summary>
    /// Starts the probe in the background when a write is likely soon (a model missing from the store is about to be
    /// looked up on the Hub); its failure is left for the write itself to meet and report.
    /// </summary>
    public static void Start(IObjectStore store, StoreLayout layout)
    {
        if (store.Capabilities.ExclusiveCreate == ExclusiveCreateMode.Unknown)
        {
            _ = ProbeOnce(store, layout).ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private static Task ProbeOnce(IObjectStore store, StoreLayout layout)
    {
        lock (Probes)
        {
            if (Probes.TryGetValue(store, out var running) && !running.IsFaulted && !running.IsCanceled)
            {
                return running;
            }

            // Not the caller's token: the probe is shared, and one caller giving up must not fail the others.
            var probe = store.DetectCapabilitiesAsync(layout.Prefix + StoreLayout.MetaFolder + "/probe/", CancellationToken.None);
            Probes.AddOrUpdate(store, probe);
            return probe;
        }
    }
}
