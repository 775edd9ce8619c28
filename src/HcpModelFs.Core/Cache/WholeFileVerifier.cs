using System.Buffers;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// The whole-file SHA-256 check of complete objects that have no per-block checksums from the manifest: one background
/// pass over the cache file; a match marks every block checked, a mismatch drops them all.
/// </summary>
internal sealed class WholeFileVerifier(
    CacheLedger ledger, CacheCounters counters, BackgroundWork background, ArrayPool<byte> pool, ILogger logger, CancellationToken shutdown)
{
    private readonly CacheLedger _ledger = ledger;
    private readonly CacheCounters _counters = counters;
    private readonly BackgroundWork _background = background;
    private readonly ArrayPool<byte> _pool = pool;
    private readonly CancellationToken _shutdown = shutdown;
    private readonly ILogger _logger = logger;

    /// <summary>Hashes a complete object in the background; call under the ledger's lock (it takes a hold on the entry).</summary>
    public void ScheduleLocked(CacheEntry entry, CachedObject data)
    {
        entry.ActiveOperations++;
        // Hashing a multi-GB file is long, synchronous pread work: keep it off the thread pool's workers.
        _background.Track(Task.Factory.StartNew(
            () => VerifyWholeFile(entry, data), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>Hashes a complete object against its SHA-256; a mismatch drops all its blocks.</summary>
    private void VerifyWholeFile(CacheEntry entry, CachedObject data)
    {
        var id = entry.Id!;
        var expected = entry.Sha256!;
        try
        {
            var actual = WholeFileHasher.Hash(data, id.Size, _pool, _shutdown);
            if (string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                // The whole content matched: every present block is as good as CRC-checked.
                for (long i = 0; i < data.BlockCount; i++)
                {
                    if (data.Present.Get(i))
                    {
                        data.Verified.Set(i);
                    }
                }

                Interlocked.Increment(ref _counters.VerificationsPassed);
                _logger.WholeFileVerified(id.Key, id.ETag);
            }
            else
            {
                lock (_ledger.SyncRoot)
                {
                    data.Present.ClearAll();
                    data.Verified.ClearAll();
                    _ledger.AllDroppedLocked(entry);
                }

                data.ForgetAllResident();
                data.Sidecar.ClearAllSlots();
                Interlocked.Increment(ref _counters.VerificationsFailed);
                _logger.WholeFileMismatch(id.Key, id.ETag, expected, actual);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shutting down; the next completion (or restart) does not re-run it, per-block CRCs still guard reads.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            _logger.WholeFileVerificationError(id.Key, id.ETag, ex);
        }
        finally
        {
            _ledger.Release(entry);
        }
    }
}
