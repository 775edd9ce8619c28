using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// How an open file gets its bytes: through the block cache from one block source, under that source's rules. The
/// filesystem reads through it and never asks where the bytes come from.
/// </summary>
internal class FileReader(IBlockCache cache, CacheObjectId id, IBlockSource source)
{
    protected IBlockCache Cache { get; } = cache;

    public CacheObjectId Id { get; } = id;

    /// <summary>Where missing blocks come from (the prefetcher fetches from the same place).</summary>
    public IBlockSource Source { get; } = source;

    /// <summary>Whether the kernel may keep this file's pages across opens (content that can no longer turn out wrong).</summary>
    public virtual bool MayKeepCache => true;

    /// <summary>Whether the kernel may read the cache file directly (every block present and checked, no rules pending).</summary>
    public virtual bool MayPassThrough => true;

    /// <summary>Whether a READ may be answered from memory the cache lends, without <see cref="ReadAsync"/>'s rules.</summary>
    public virtual bool MayLend => true;

    public virtual ValueTask<int> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        => Cache.ReadAsync(Id, offset, destination, Source, cancellationToken);
}
