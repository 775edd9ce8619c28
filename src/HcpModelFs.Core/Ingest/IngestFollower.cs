using HcpModelFs.Core.Cache;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/*
 * Where a node that does not hold the lease gets its readers' blocks (docs/INGEST.md, "Several nodes"). A rollout starts
 * many pods at once; if every follower read from the Hub, N nodes would cost N times the model. The holder completes a
 * file's object only after it matched the Hub's hash, so a complete object of the right size is final and the follower
 * reads it from the store. Before that: a file's first block comes from the Hub at once (time to first byte), and the
 * rest waits for the holder's object — one HEAD poll per file shared by all its readers — for at most FollowWait from
 * the first wait; a file the holder has not finished by then is read from the Hub, as it was before followers waited.
 */
internal sealed class IngestFollower(IObjectStore store, IBlockSource hub, IngestOptions options, TimeProvider time, ILogger logger, string name, CancellationToken stop)
{
    public ValueTask ReadAsync(IngestFileState file, CacheObjectId id, long offset, long blockSize, Memory<byte> destination, CancellationToken ct)
    {
        if (file.InStore)
        {
            return store.ReadRangeAsync(id.Key, offset, destination, null, ct);
        }

        return offset < blockSize || options.FollowWait <= TimeSpan.Zero
            ? hub.ReadAsync(id, offset, destination, ct)
            : WaitThenReadAsync(file, id, offset, destination, ct);
    }

    private async ValueTask WaitThenReadAsync(IngestFileState file, CacheObjectId id, long offset, Memory<byte> destination, CancellationToken ct)
    {
        if (await file.AwaitStored(() => PollAsync(file)).WaitAsync(ct))
        {
            await store.ReadRangeAsync(id.Key, offset, destination, null, ct);
            return;
        }

        await hub.ReadAsync(id, offset, destination, ct);
    }

    private async Task<bool> PollAsync(IngestFileState file)
    {
        var key = file.File.CacheId.Key;
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < options.FollowWait)
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
                // The store is unhappy now: keep waiting (bounded); the Hub is the way out once the wait is over.
            }

            await Task.Delay(options.FollowPollInterval, time, stop);
        }

        IngestLog.FollowTimedOut(logger, name, file.File.Path, options.FollowWait);
        return false;
    }
}
