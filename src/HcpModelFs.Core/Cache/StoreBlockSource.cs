using HcpModelFs.Core.Naming;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// Missing blocks come from the store as ranged GETs. Managed files are pinned by their commit (their cache ETag is
/// the commit sha), so no ETag check is needed; plain objects carry the store's ETag and a changed object fails the
/// read instead of mixing old and new bytes.
/// </summary>
public sealed class StoreBlockSource(IObjectStore store) : IBlockSource
{
    public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var expected = ModelName.IsCommitSha(id.ETag) ? null : id.ETag;
        return store.ReadRangeAsync(id.Key, offset, destination, expected, cancellationToken);
    }
}
