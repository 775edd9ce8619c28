using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/*
 * How long a node that does not hold the lease keeps a reader's block waiting for the holder (docs/INGEST.md, "Several
 * nodes"). A rollout starts many pods at once; if every follower read from the Hub, N nodes would cost N times the
 * model. The holder completes a file's object only after it matched the Hub's hash, so a complete object of the right
 * size is final and the follower reads it from the store. Before that, a file's first block comes from the Hub at once
 * (time to first byte); any other block a reader needs waits for the holder's object (one HEAD poll per file, shared
 * by all its readers, running while this node follows) for at most FollowWait from its own fetch, and then only that
 * block comes from the Hub. The wait is taken before the cache's fetch slot and block buffer (IBlockSource.WhenReady),
 * so a fetch queued behind waiting fetches never waits twice, and each READ stays under the FUSE request limit
 * however long the holder takes. Nothing reads ahead of the readers meanwhile: a readahead would wait the same and
 * then cost the Hub the blocks this is here to save.
 */
internal sealed class IngestFollower(IObjectStore store, IngestOptions options, TimeProvider time, ILogger logger, string name, Func<bool> following, CancellationToken stop)
{
    public bool CanReadAhead(IngestFileState file) => file.InStore || options.FollowWait <= TimeSpan.Zero;

    public ValueTask WhenReadyAsync(IngestFileState file, long offset, long blockSize, CancellationToken ct) =>
        offset < blockSize || CanReadAhead(file) ? ValueTask.CompletedTask : WaitAsync(file, ct);

    private async ValueTask WaitAsync(IngestFileState file, CancellationToken ct)
    {
        try
        {
            await file.AwaitStored(() => PollAsync(file)).WaitAsync(options.FollowWait, time, ct);
        }
        catch (TimeoutException)
        {
            if (file.FirstWaitRanOut())
            {
                IngestLog.FollowTimedOut(logger, name, file.File.Path, options.FollowWait);
            }
        }
    }

    /// <summary>Bounded by the job: ends once the object is there, this node no longer follows, or the job stops.</summary>
    private async Task<bool> PollAsync(IngestFileState file)
    {
        var key = file.File.CacheId.Key;
        try
        {
            while (following())
            {
                try
                {
                    if (await store.HeadAsync(key, stop) is { } info && info.Size == file.Size)
                    {
                        file.MarkSeenInStore();
                        return true;
                    }
                }
                catch (StoreException)
                {
                    // The store is unhappy now: keep polling; each waiting read has its own bound and then goes to the Hub.
                }

                await Task.Delay(options.FollowPollInterval, time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return false;
    }
}
