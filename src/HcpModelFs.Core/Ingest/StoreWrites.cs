using HcpModelFs.Store;

namespace HcpModelFs.Core.Ingest;

/// <summary>Writes of file objects whose content is fixed by their key (a commit's file): a racing writer's object counts as ours.</summary>
internal static class StoreWrites
{
    public static async Task<ObjectInfo> PutOnceAsync(IObjectStore store, string key, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        try
        {
            return await store.PutAsync(key, content, ct);
        }
        catch (StoreException ex) when (ex.Kind == StoreErrorKind.AlreadyExists)
        {
            // HCP: another writer (a previous holder) completed it first; its content is fixed by the commit.
            return await ExistingOfSizeAsync(store, key, content.Length, ex, ct);
        }
    }

    public static async Task<ObjectInfo> ExistingOfSizeAsync(IObjectStore store, string key, long size, StoreException refusal, CancellationToken ct)
    {
        var existing = await store.HeadAsync(key, ct);
        return existing is not null && existing.Size == size ? existing : throw refusal;
    }
}
