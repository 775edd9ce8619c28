using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Transfer;
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
    private readonly IngestFileWriter _fileWriter;
    private readonly IngestFollower _follower;
    private readonly PartPipeline _parts;
    private readonly TaskCompletionSource _roleKnown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile int _role;
    private volatile Task? _roleWait;
    private volatile IngestPhase _phase;
    private long _leadStarted;
    private long _storedAtLeadStart;
    private int _started;
    private volatile bool _committed;
    private long _bytesStored;

    private const int RoleUnknown = 0;
    private const int RoleLeading = 1;
    private const int RoleFollowing = 2;

    // How long a reader past a file's first block waits for the first lease attempt to say whether this node leads.
    private static readonly TimeSpan RoleWait = TimeSpan.FromSeconds(5);

    internal IngestJob(
        ModelRevision revision,
        IObjectStore store,
        IModelHub hub,
        IBlockCache cache,
        ModelPublisher publisher,
        LeaseManager leases,
        IngestOptions options,
        PartPipeline parts,
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
        _logger = logger;
        _time = time;
        _onCommitted = onCommitted;
        _stopToken = _stop.Token;
        _hubSource = new HubBlockSource(this);
        // Through the job, not straight to the Hub: a follower verifies from the holder's finished objects where it can.
        _verifier = new IngestVerifier(cache, this, Name, logger, _stopToken);
        _follower = new IngestFollower(store, options, time, logger, Name, () => _role == RoleFollowing, _stopToken);
        _parts = parts;
        _fileWriter = new IngestFileWriter(store, new MultipartWriter(store, parts), _verifier, _hubSource, parts, options.ThroughCache, cache.BlockSize, Name, logger, time);
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

    public IngestPhase Phase => _phase;

    /// <summary>Seconds left at the rate this node has stored bytes since it took the lease; null when not uploading or no rate yet.</summary>
    public double? EtaSeconds
    {
        get
        {
            var started = Interlocked.Read(ref _leadStarted);
            if (_phase != IngestPhase.Uploading || started == 0)
            {
                return null;
            }

            var seconds = _time.GetElapsedTime(started).TotalSeconds;
            var stored = BytesStored - Interlocked.Read(ref _storedAtLeadStart);
            return stored <= 0 || seconds <= 0 ? null : (TotalBytes - BytesStored) / (stored / seconds);
        }
    }

    /// <summary>Files with their progress, for progress bars.</summary>
    public IReadOnlyList<IIngestFileProgress> Files => _files;

    /// <summary>Starts the ingest in the background (idempotent).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _roleWait = _roleKnown.Task.WaitAsync(RoleWait, _time, _stopToken);
            _ = Task.Run(() => RunAsync(_stopToken));
        }
    }

    /// <summary>Stops the job; work still unwinding sees a cancelled token, never a disposed one.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    /// <summary>
    /// Readers' blocks: from the store once committed or once the file's object is complete there (closer, and the Hub
    /// may be gone), else from the Hub. A follower's blocks waited in <see cref="WhenReadyAsync"/> for the holder's
    /// object first.
    /// </summary>
    public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _committed || (_byKey.TryGetValue(id.Key, out var state) && state.InStore)
            ? _store.ReadRangeAsync(id.Key, offset, destination, null, cancellationToken)
            : _hubSource.ReadAsync(id, offset, destination, cancellationToken);
    }

    /// <summary>
    /// Past a file's first block: until the first lease attempt says whether this node leads, waits for that (one
    /// deadline for the whole job); on a follower, waits for the holder's object (<see cref="IngestFollower"/>).
    /// </summary>
    public ValueTask WhenReadyAsync(CacheObjectId id, long offset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_committed || offset < _cache.BlockSize || !_byKey.TryGetValue(id.Key, out var state) || state.InStore)
        {
            return ValueTask.CompletedTask;
        }

        return _role switch
        {
            RoleFollowing => _follower.WhenReadyAsync(state, offset, _cache.BlockSize, cancellationToken),
            RoleUnknown when _roleWait is { IsCompleted: false } => AfterRoleKnownAsync(id, offset, cancellationToken),
            _ => ValueTask.CompletedTask,
        };
    }

    /// <summary>
    /// Whether the prefetcher may read ahead in <paramref name="id"/>: on the holder, yes; on a follower only once the
    /// holder's object is there; and not before the first lease attempt said which (readaheads started then would wait
    /// and go to the Hub like a follower's; the readers' next READ wakes the prefetcher once it is known).
    /// </summary>
    public bool CanReadAhead(CacheObjectId id) =>
        _committed || !_byKey.TryGetValue(id.Key, out var state) || state.InStore || _role switch
        {
            RoleLeading => true,
            RoleFollowing => _follower.CanReadAhead(state),
            _ => _roleWait is { IsCompleted: true },
        };

    private async ValueTask AfterRoleKnownAsync(CacheObjectId id, long offset, CancellationToken ct)
    {
        try
        {
            await _roleWait!.WaitAsync(ct);
        }
        catch (TimeoutException)
        {
            return; // No verdict yet (the store is slow to answer the lease): the Hub serves this block.
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return; // The job was stopped before it knew: the Hub serves this block.
        }

        // The role is known now (or the wait completed without one): route once more, the way every later fetch does.
        await WhenReadyAsync(id, offset, ct);
    }

    /// <summary>Why the file can no longer be served (its bytes did not match the Hub's metadata), or null.</summary>
    public Exception? FailureOf(CacheObjectId id) =>
        id is not null && _byKey.TryGetValue(id.Key, out var state) ? state.Failure : null;

    /// <summary>Completes once the whole file is known to match the Hub's hash (hashing it through the cache if needed).</summary>
    public async Task WhenVerifiedAsync(CacheObjectId id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_committed || !_byKey.TryGetValue(id.Key, out var state))
        {
            return;
        }

        // A complete object was verified before it completed (by us or by the lease holder).
        while (!state.InStore)
        {
            var pass = state.Verify(() => _verifier.VerifyAsync(state));
            try
            {
                await pass.WaitAsync(cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (pass.IsCanceled && !cancellationToken.IsCancellationRequested && !_stopToken.IsCancellationRequested)
            {
                // The upload whose in-order hash this was failed and gave it up: the next round hashes for the reader.
            }
        }
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
            _roleKnown.TrySetResult();
            IngestMetrics.Active.Add(-1);
            _parts.TrimIdle(); // an idle daemon keeps no part buffers
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
                    _role = RoleFollowing;
                    _phase = IngestPhase.Following;
                    _roleKnown.TrySetResult();
                    if (!following)
                    {
                        IngestLog.Following(_logger, Name, Commit);
                        following = true;
                    }

                    await Task.Delay(_options.PollInterval, _time, stop);
                    continue;
                }

                following = false;
                _role = RoleLeading;
                _phase = IngestPhase.Uploading;
                Interlocked.Exchange(ref _storedAtLeadStart, BytesStored);
                Interlocked.Exchange(ref _leadStarted, _time.GetTimestamp());
                _roleKnown.TrySetResult();
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
                _phase = IngestPhase.Retrying;
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
        var started = _time.GetTimestamp();
        await using (var keeper = new LeaseKeeper(lease, _options.LeaseTtl, _time, stop))
        {
            try
            {
                var held = keeper.Token;
                IngestLog.Started(_logger, Name, Commit, _files.Length, TotalBytes, lease.Sequence);
                await AbortAbandonedUploadsAsync(held);
                await StoreFilesAsync(held);

                _phase = IngestPhase.Committing;
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
                await _publisher.CommitAsync(manifest, _origin.RefName, moveRef: false, held);
            }
            catch (OperationCanceledException) when (keeper.Lost && !stop.IsCancellationRequested)
            {
                throw new LeaseLostException();
            }
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

    /// <summary>
    /// Small files side by side (one request each); big files one after another, each with all the part slots, so
    /// each completes as early as it can: readers here and on following nodes read a finished file from the store, and
    /// a follower waits for one file at a time, not for all of them to finish together at the end.
    /// </summary>
    private async Task StoreFilesAsync(CancellationToken held)
    {
        var onePart = MultipartWriter.PartSizeFor(0, _cache.BlockSize);
        var small = Parallel.ForEachAsync(
            _files.Where(f => f.Size <= onePart),
            new ParallelOptions { MaxDegreeOfParallelism = _options.FilesInFlight, CancellationToken = held },
            async (file, ct) => await StoreFileAsync(file, ct));
        try
        {
            foreach (var file in _files.Where(f => f.Size > onePart))
            {
                await StoreFileAsync(file, held);
            }
        }
        finally
        {
            await small;
        }
    }

    private async Task StoreFileAsync(IngestFileState file, CancellationToken ct)
    {
        if (await _fileWriter.StoreAsync(file, ct) is { } stored)
        {
            Interlocked.Add(ref _bytesStored, stored);
        }
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

    private sealed class LeaseLostException : Exception
    {
    }
}
