using HcpModelFs.Core.Naming;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// Missing blocks come from the store as ranged GETs. Managed files are pinned by their commit (their cache ETag is
/// the commit sha), so no ETag check is needed; plain objects carry the store's ETag and a changed object fails the
/// read instead of mixing old and new bytes. A managed file without per-block checksums (a manifest from before they
/// existed, or another writer's) is only hashed whole after the fact, so the block at its end first checks the
/// object's size with a HEAD: an object longer or shorter than its manifest says fails the read (EIO) at once.
/// </summary>
public sealed class StoreBlockSource(IObjectStore store) : IBlockSource
{
    public async ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var pinned = ModelName.IsCommitSha(id.ETag);
        if (pinned && id.Blocks is null && offset + destination.Length >= id.Size &&
            await store.HeadAsync(id.Key, cancellationToken) is { } info && info.Size != id.Size)
        {
            throw new StoreException(StoreErrorKind.ObjectChanged,
                $"GET {id.Key}: the object has {info.Size} bytes, its manifest says {id.Size}");
        }

        await store.ReadRangeAsync(id.Key, offset, destination, pinned ? null : id.ETag, cancellationToken);
    }
}
