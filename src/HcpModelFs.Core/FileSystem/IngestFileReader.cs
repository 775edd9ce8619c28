using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Ingest;

namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// A file of a revision being ingested from the Hub: bytes come through the ingest job (which shares the cache), a file
/// that failed its check answers with that failure, and the end of a file is served only once the whole file matched
/// the Hub's hash — a reader that reads to EOF gets exact bytes or an error, never a silently wrong file.
/// </summary>
internal sealed class IngestFileReader(IBlockCache cache, CacheObjectId id, IngestJob job) : FileReader(cache, id, job)
{
    /// <summary>Not while unverified: pages of a file that then fails its hash must not outlive the open.</summary>
    public override bool MayKeepCache => job.IsCommitted;

    public override bool MayPassThrough => job.IsCommitted;

    /// <summary>Never: every READ of an unverified file goes through the failure check and the EOF gate.</summary>
    public override bool MayLend => false;

    /// <summary>Not for a read that reaches the end of the file: that one may wait for the whole-file check.</summary>
    public override bool TryReadNow(long offset, Memory<byte> destination, out int read)
    {
        if (job.FailureOf(Id) is { } failure)
        {
            throw failure;
        }

        if (offset + destination.Length >= Id.Size)
        {
            read = 0;
            return false;
        }

        return Cache.TryReadReady(Id, offset, destination, out read);
    }

    public override async ValueTask<int> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (job.FailureOf(Id) is { } failure)
        {
            throw failure;
        }

        if (offset + destination.Length >= Id.Size)
        {
            await job.WhenVerifiedAsync(Id, cancellationToken);
        }

        return await Cache.ReadAsync(Id, offset, destination, job, cancellationToken);
    }
}
