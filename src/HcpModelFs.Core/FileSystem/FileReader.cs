using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;

namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// How an open file gets its bytes: through the block cache from one block source, under that source's rules. The
/// filesystem and the HTTP front end read through it and never ask where the bytes come from; <see cref="Open"/> is
/// the one place that decides (store, or the ingest job of a revision the store lacks), so both follow the same rules.
/// </summary>
public class FileReader
{
    internal FileReader(IBlockCache cache, CacheObjectId id, IBlockSource source)
    {
        Cache = cache;
        Id = id;
        Source = source;
    }

    /// <summary>
    /// The reader of <paramref name="file"/> of <paramref name="revision"/>: a revision from the Hub is read through its
    /// ingest job, which this starts (the first open starts the ingest); anything else from <paramref name="store"/>.
    /// </summary>
    public static FileReader Open(ModelRevision revision, RevisionFile file, IBlockCache cache, IBlockSource store, IngestCoordinator? ingest)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(file);
        var job = revision.Hub is not null && ingest is not null ? ingest.Start(revision) : null;
        return job is not null ? new IngestFileReader(cache, file.CacheId, job) : new FileReader(cache, file.CacheId, store);
    }

    protected IBlockCache Cache { get; }

    public CacheObjectId Id { get; }

    /// <summary>Where missing blocks come from (the prefetcher fetches from the same place).</summary>
    public IBlockSource Source { get; }

    /// <summary>Whether the kernel may keep this file's pages across opens (content that can no longer turn out wrong).</summary>
    public virtual bool MayKeepCache => true;

    /// <summary>Whether the kernel may read the cache file directly (every block present and checked, no rules pending).</summary>
    public virtual bool MayPassThrough => true;

    /// <summary>Whether a READ may be answered from memory the cache lends, without <see cref="ReadAsync"/>'s rules.</summary>
    public virtual bool MayLend => true;

    /// <summary>
    /// The read, when it can be answered now without waiting for a fetch or a check; false (nothing read) otherwise,
    /// and the caller reads with <see cref="ReadAsync"/> under its time limit.
    /// </summary>
    public virtual bool TryReadNow(long offset, Memory<byte> destination, out int read)
        => Cache.TryReadReady(Id, offset, destination, out read);

    public virtual ValueTask<int> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        => Cache.ReadAsync(Id, offset, destination, Source, cancellationToken);

    /// <summary>
    /// Reads like <see cref="ReadAsync"/>; with <paramref name="lend"/>, lends the bytes instead where
    /// <see cref="MayLend"/> allows.
    /// </summary>
    public ValueTask<CacheRead> ReadOrLendAsync(long offset, Memory<byte> destination, bool lend, CancellationToken cancellationToken)
        => lend && MayLend ? Cache.ReadOrLendAsync(Id, offset, destination, Source, cancellationToken) : CopyAsync(offset, destination, cancellationToken);

    private async ValueTask<CacheRead> CopyAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        => new(await ReadAsync(offset, destination, cancellationToken));
}
