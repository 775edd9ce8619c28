using System.Buffers;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/*
 * One revision the store lacks, streamed from the Hub into the store (design.md §6). The job is also the block source
 * of that revision's files while it runs, so readers and the ingest share the local cache: a block fetched for a
 * reader is uploaded from the cache, a block fetched for the upload serves later readers, and single flight in the
 * cache means each block comes from the Hub once. A reader's block is fetched when the reader asks for it, not queued
 * behind the ingest.
 *
 * The node holding the lease uploads: per file, block-aligned parts read through the cache and uploaded in parallel
 * (small files as one PUT), while a separate in-order pass hashes the file through the cache. Nothing completes unless
 * size and hash match the Hub's metadata (sha256 for LFS files, the git blob sha1 otherwise); a mismatch aborts the
 * upload and fails the file for good. With every file in: the manifest, then the ref. Other nodes serve readers from
 * the Hub and poll for the manifest or an expired lease. A reader never gets the end of a file before the file has
 * been verified, so whoever reads a file to its end either got the Hub's exact bytes or EIO.
 *
 * After a crash nothing is visible (no manifest). A restart takes its own lease back, aborts the multipart uploads it
 * abandoned, keeps file objects already complete (written only after verification) and re-uploads the rest from the
 * blocks still in the local cache.
 */
public sealed class IngestJob : IBlockSource, IDisposable
{
    private readonly ModelRevision _revision;
    private readonly HubOrigin _origin;
    private readonly IObjectStore _store;
    private readonly IModelHub _hub;
    private readonly IBlockCache _cache;
    private readonly ModelPublisher _publisher;
    private readonly LeaseManager _leases;
    private readonly IngestOptions _options;
    private readonly SemaphoreSlim _partSlots;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Action<IngestJob> _onCommitted;
    private readonly Dictionary<string, IngestFileState> _byKey = new(StringComparer.Ordinal);
    private readonly IngestFileState[] _files;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationToken _stopToken;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HubBlockSource _hubSource;
    private readonly IngestVerifier _verifier;
    private readonly IngestUploader _uploader;
    private int _started;
    private volatile bool _committed;
    private long _bytesStored;

    internal IngestJob(
        ModelRevision revision,
        IObjectStore store,
        IModelHub hub,
        IBlockCache cache,
        ModelPublisher publisher,
        LeaseManager leases,
        IngestOptions options,
        SemaphoreSlim partSlots,
        ILogger logger,
        TimeProvider time,
        Action<IngestJob> onCommitted)
    {
        _revision = revision;
        _origin = revision.Hub ?? throw new ArgumentException("Only a revision that comes from the Hub is ingested.", nameof(revision));
        _store = store;
        _hub = hub;
        _cache = cache;
        _publisher = publisher;
        _leases = leases;
        _options = options;
        _partSlots = partSlots;
        _logger = logger;
        _time = time;
        _onCommitted = onCommitted;
        _stopToken = _stop.Token;
        _hubSource = new HubBlockSource(this);
        _verifier = new IngestVerifier(cache, _hubSource, Name, logger, _stopToken);
        _uploader = new IngestUploader(store, options.PartsInFlight, partSlots, _verifier);
        var files = new List<IngestFileState>();
        Collect(revision.Root, files);
        _files = [.. files];
        foreach (var file in _files)
        {
            _byKey[file.File.CacheId.Key] = file;
        }
    }

    public string Org => _revision.Org;

    public string Model => _revision.Model;

    public string Commit => _revision.Commit;

    public string Name => _revision.Org + "/" + _revision.Model;

    /// <summary>Completes when the revision is committed in the store (by us or another node); faults when abandoned.</summary>
    public Task Completion => _completion.Task;

    public bool IsCommitted => _committed;

    /// <summary>Started and not yet committed, failed or stopped.</summary>
    public bool IsRunning => Volatile.Read(ref _started) != 0 && !_completion.Task.IsCompleted;

    public DateTimeOffset? FailedAt { get; private set; }

    public long TotalBytes => _revision.TotalSize;

    public long BytesStored => Interlocked.Read(ref _bytesStored);

    /// <summary>Files with their progress, for progress bars.</summary>
    public IReadOnlyList<IIngestFileProgress> Files => _files;

    /// <summary>Starts the ingest in the background (idempotent).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(() => RunAsync(_stopToken));
        }
    }

    /// <summary>Stops the job; work still unwinding sees a cancelled token, never a disposed one.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    /// <summary>Readers' blocks: from the store once committed (closer, and the Hub may be gone), else from the Hub.</summary>
    public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _committed
            ? _store.ReadRangeAsync(id.Key, offset, destination, null, cancellationToken)
            : _hubSource.ReadAsync(id, offset, destination, cancellationToken);
    }

    /// <summary>Why the file can no longer be served (its bytes did not match the Hub's metadata), or null.</summary>
    public Exception? FailureOf(CacheObjectId id) =>
        id is not null && _byKey.TryGetValue(id.Key, out var state) ? state.Failure : null;

    /// <summary>Completes once the whole file is known to match the Hub's hash (hashing it through the cache if needed).</summary>
    public Task WhenVerifiedAsync(CacheObjectId id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_committed || !_byKey.TryGetValue(id.Key, out var state))
        {
            return Task.CompletedTask;
        }

        return state.Verify(() => _verifier.VerifyAsync(state)).WaitAsync(cancellationToken);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        IngestMetrics.Active.Add(1);
        try
        {
            await RunAttemptsAsync(stop);
        }
        finally
        {
            IngestMetrics.Active.Add(-1);
        }
    }

    private async Task RunAttemptsAsync(CancellationToken stop)
    {
        var delay = _options.FirstRetryDelay;
        var following = false;
        var manifestKey = _publisher.Layout.ManifestKey(Org, Model, Commit);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (await _store.HeadAsync(manifestKey, stop) is not null)
                {
                    // A committer killed between the manifest and the ref left a complete revision no ref names:
                    // pin it, or the model is found only while the Hub answers (a no-op when the ref is there).
                    if (_origin.RefName is { } refName)
                    {
                        await _publisher.AppendRefAsync(Org, Model, refName, Commit, stop, onlyIfEmpty: true);
                    }

                    IngestLog.CommittedElsewhere(_logger, Name, Commit);
                    MarkCommitted();
                    return;
                }

                var lease = await _leases.TryAcquireAsync(Org, Model, Commit, stop);
                if (lease is null)
                {
                    if (!following)
                    {
                        IngestLog.Following(_logger, Name, Commit);
                        following = true;
                    }

                    await Task.Delay(_options.PollInterval, _time, stop);
                    continue;
                }

                following = false;
                await LeadAsync(lease, stop);
                MarkCommitted();
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                _completion.TrySetCanceled(stop);
                return;
            }
            catch (LeaseLostException)
            {
                IngestLog.LeaseLost(_logger, Name, Commit);
            }
            catch (Exception ex) when (IsPermanent(ex))
            {
                FailedAt = _time.GetUtcNow();
                IngestMetrics.Failures.Add(1);
                IngestLog.Abandoned(_logger, Name, Commit, ex.Message);
                _completion.TrySetException(ex as IngestFailedException ?? new IngestFailedException($"Ingest of {Name} at {Commit} failed: {ex.Message}", ex));
                return;
            }
            catch (Exception ex) when (ex is StoreException or HubException or IOException or OperationCanceledException or TimeoutException)
            {
                // The store refusing writes or the Hub being down never stops readers: they read from the Hub.
                IngestMetrics.Retries.Add(1);
                IngestLog.Retrying(_logger, Name, Commit, ex is StoreException s ? s.Kind.ToString() : ex.GetType().Name, ex.Message, delay);
                try
                {
                    await Task.Delay(delay, _time, stop);
                }
                catch (OperationCanceledException)
                {
                    _completion.TrySetCanceled(stop);
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }

        _completion.TrySetCanceled(stop);
    }

    private static bool IsPermanent(Exception ex) => ex switch
    {
        IngestFailedException => true,
        HubException h => h.Kind is not (HubErrorKind.RateLimited or HubErrorKind.Unavailable),
        _ => false,
    };

    private async Task LeadAsync(IngestLease lease, CancellationToken stop)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var lost = new StrongBox();
        var renewals = RenewAsync(lease, held, lost);
        var started = _time.GetTimestamp();
        try
        {
            IngestLog.Started(_logger, Name, Commit, _files.Length, TotalBytes, lease.Sequence);
            await AbortAbandonedUploadsAsync(held.Token);
            await Parallel.ForEachAsync(
                _files,
                new ParallelOptions { MaxDegreeOfParallelism = _options.FilesInFlight, CancellationToken = held.Token },
                async (file, ct) => await StoreFileAsync(file, ct));

            var manifest = new Manifest
            {
                Org = Org,
                Model = Model,
                Commit = Commit,
                Revision = _origin.RefName ?? Commit,
                IngestedAt = _time.GetUtcNow(),
                Source = "hub",
                Files = [.. _files.Select(f => new ManifestFile(f.File.Path, f.File.Size, f.Sha256!, f.ETag!, f.Blocks))],
            };
            await _publisher.CommitAsync(manifest, _origin.RefName, moveRef: false, held.Token);
        }
        catch (OperationCanceledException) when (lost.Value && !stop.IsCancellationRequested)
        {
            throw new LeaseLostException();
        }
        finally
        {
            await held.CancelAsync();
            await renewals;
        }

        var seconds = Math.Max(_time.GetElapsedTime(started).TotalSeconds, 1e-3);
        IngestMetrics.Commits.Add(1);
        IngestLog.Committed(_logger, Name, Commit, _files.Length, TotalBytes, seconds, TotalBytes / seconds / 1e6);
        try
        {
            await lease.ReleaseAsync(stop);
        }
        catch (StoreException)
        {
            // Lease keys left behind are harmless: the manifest is what every node looks for first.
        }
    }

    private async Task RenewAsync(IngestLease lease, CancellationTokenSource held, StrongBox lost)
    {
        var interval = _options.LeaseTtl / 3;
        while (!held.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, held.Token);
                if (!await lease.TryAdvanceAsync(held.Token))
                {
                    lost.Value = true;
                    await held.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (StoreException)
            {
                // Could not renew now (store hiccup): try again next interval; the lease only expires after a full TTL.
            }
        }
    }

    private async Task AbortAbandonedUploadsAsync(CancellationToken ct)
    {
        // Only the lease holder gets here, so every pending upload of this revision belongs to a holder that is gone.
        var pending = new List<PendingUpload>();
        await foreach (var upload in _store.ListMultipartUploadsAsync(_publisher.Layout.RevisionPrefix(Org, Model, Commit), ct))
        {
            pending.Add(upload);
        }

        foreach (var upload in pending)
        {
            await _store.AbortMultipartAsync(upload.Key, upload.UploadId, ct);
            IngestLog.AbortedStaleUpload(_logger, Name, upload.Key);
        }
    }

    private async Task StoreFileAsync(IngestFileState file, CancellationToken ct)
    {
        if (file.ETag is not null)
        {
            return; // Stored in an earlier attempt of this job.
        }

        var key = file.File.CacheId.Key;
        var size = file.File.Size;
        var started = _time.GetTimestamp();
        var existing = await _store.HeadAsync(key, ct);
        if (existing is not null)
        {
            // Objects are completed only after verification, so one of the right size is this file (a resumed ingest).
            if (existing.Size != size)
            {
                throw new IngestFailedException($"{key} exists in the store with {existing.Size} bytes, the Hub says {size}; it cannot be overwritten.");
            }

            file.Sha256 = file.Hub.LfsSha256 ?? await file.Verify(() => _verifier.VerifyAsync(file)).WaitAsync(ct);
            file.Complete(existing.ETag);
            Interlocked.Add(ref _bytesStored, size);
            return;
        }

        var verified = file.Verify(() => _verifier.VerifyAsync(file));
        var partSize = IngestUploader.PartSizeFor(size, _cache.BlockSize);
        ObjectInfo info;
        if (size <= partSize)
        {
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
            try
            {
                await _partSlots.WaitAsync(ct);
                try
                {
                    await _verifier.ReadAsync(file, 0, buffer.AsMemory(0, (int)size), ct);
                }
                finally
                {
                    _partSlots.Release();
                }

                file.Sha256 = await verified.WaitAsync(ct);
                info = await _uploader.PutOnceAsync(key, buffer.AsMemory(0, (int)size), ct);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            file.AddProgress(size);
        }
        else
        {
            info = await _uploader.UploadMultipartAsync(file, partSize, verified, ct);
        }

        if (info.Size != size)
        {
            throw new StoreException(StoreErrorKind.Truncated, $"{key}: the store has {info.Size} bytes after the upload, expected {size}.");
        }

        file.Complete(info.ETag);
        Interlocked.Add(ref _bytesStored, size);
        IngestMetrics.BytesStored.Add(size);
        IngestMetrics.FilesStored.Add(1);
        var seconds = Math.Max(_time.GetElapsedTime(started).TotalSeconds, 1e-3);
        IngestLog.FileStored(_logger, Name, file.File.Path, size, size / seconds / 1e6);
    }

    private void MarkCommitted()
    {
        _committed = true;
        _completion.TrySetResult();
        _onCommitted(this);
    }

    private void Collect(RevisionDirectory directory, List<IngestFileState> files)
    {
        foreach (var file in directory.Files.Values)
        {
            files.Add(new IngestFileState(file, _origin.Files[file.Path]));
        }

        foreach (var child in directory.Directories.Values)
        {
            Collect(child, files);
        }
    }

    /// <summary>Cache fetches of this revision's files go to the Hub, by path at the pinned commit.</summary>
    private sealed class HubBlockSource(IngestJob job) : IBlockSource
    {
        public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            var state = job._byKey[id.Key];
            return job._hub.ReadRangeAsync(job._origin.Repo, job.Commit, state.File.Path, offset, destination, cancellationToken);
        }
    }

    private sealed class StrongBox
    {
        public volatile bool Value;
    }

    private sealed class LeaseLostException : Exception
    {
    }
}
