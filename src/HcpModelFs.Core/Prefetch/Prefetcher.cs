using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HcpModelFs.Core.Cache;
using HcpModelFs.Store;
using MetricNames = HcpModelFs.Core.Diagnostics.MetricNames;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Prefetch;

/*
 * Prefetch: vLLM mmaps each safetensors shard and touches tensors in offset order, and never prefetches on FUSE
 * itself. So when a large file is opened, its blocks are fetched into the disk cache in the background, ahead of
 * the readers, as parallel one-block GETs under one global in-flight limit shared by all files.
 *
 * Streams are tracked per file (not per handle): several processes or threads reading one file each leave a recent
 * position; the next block fetched is the first missing one closest ahead of any reader (the neediest), within MaxAheadBytes,
 * so tensor-parallel ranks or 16 fds reading slices each get blocks ahead of them and no block is fetched twice
 * (the cache's single flight joins a reader's demand fetch with ours). For a safetensors file the header is parsed
 * once, and a read that touches a tensor extends its window to that tensor's end even beyond MaxAheadBytes: loaders
 * read whole tensors, so the rest of it is needed next. The disk cache is the buffer: memory stays flat. A file's background job ends when all its blocks are present or its last open handle is released.
 */
public sealed class Prefetcher : IDisposable
{
    private const int Streams = 16;
    private readonly IBlockCache _cache;
    private readonly PrefetchOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _limiter;
    private readonly ConcurrentDictionary<string, FileJob> _jobs = new(StringComparer.Ordinal);
    private readonly Meter _meter = new(MetricNames.PrefetchMeter);
    private readonly RepeatedFailureLog _failures;

    public Prefetcher(IBlockCache cache, PrefetchOptions options, ILogger<Prefetcher> logger)
    {
        _cache = cache;
        _options = options;
        _logger = logger;
        _limiter = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        _failures = new RepeatedFailureLog(logger, interval: options.FailureLogInterval);
        // The queue depth is what the limiter already knows: read at scrape time, nothing on the read path.
        _meter.CreateObservableGauge(MetricNames.PrefetchInFlight, () => _options.MaxInFlight - _limiter.CurrentCount, "{block}", "Prefetch block fetches in flight");
        _meter.CreateObservableGauge(MetricNames.PrefetchFiles, () => _jobs.Count, "{file}", "Open files with a prefetch job");
    }

    /// <summary>A lease for an open that needs no prefetch (the kernel reads the file itself).</summary>
    public static IDisposable None => NoLease.Instance;

    /// <summary>Registers an open of <paramref name="id"/>; the returned lease ends it.</summary>
    public IDisposable Open(CacheObjectId id, IBlockSource source)
    {
        if (id.Size < _options.WholeFileThreshold)
        {
            return NoLease.Instance;
        }

        while (true)
        {
            // The factory may run more than once under a race; only the job that won the map entry is started.
            var job = _jobs.GetOrAdd(id.Key, _ => new FileJob(this, id, source));
            if (job.TryAddReference())
            {
                job.EnsureStarted();
                return job;
            }

            _jobs.TryRemove(new KeyValuePair<string, FileJob>(id.Key, job));
        }
    }

    /// <summary>A reader touched [offset, offset + length): remember it as a stream position and wake the job.</summary>
    public void OnRead(CacheObjectId id, long offset, int length)
    {
        if (_jobs.TryGetValue(id.Key, out var job))
        {
            job.OnRead(offset, length);
        }
    }

    public void Dispose()
    {
        foreach (var job in _jobs.Values)
        {
            job.Cancel();
        }

        _meter.Dispose();
        _limiter.Dispose();
    }

    private sealed class FileJob : IDisposable
    {
        private readonly Prefetcher _owner;
        private readonly CacheObjectId _id;
        private readonly IBlockSource _source;
        private readonly long _blocks;
        private readonly long _aheadBlocks;
        private readonly long _checkAheadBlocks;
        private readonly long[] _positions = new long[Streams];
        private readonly long[] _offsets = new long[Streams];
        private volatile SafetensorsIndex? _tensors;
        private readonly bool[] _scheduled;
        private readonly CancellationTokenSource _cts = new();
        private readonly SemaphoreSlim _wake = new(0, 1);
        private int _references;
        private int _nextSlot;
        private int _failures;

        public FileJob(Prefetcher owner, CacheObjectId id, IBlockSource source)
        {
            _owner = owner;
            _id = id;
            _source = source;
            var blockSize = owner._cache.BlockSize;
            _blocks = (id.Size + blockSize - 1) / blockSize;
            _aheadBlocks = Math.Max(1, owner._options.MaxAheadBytes / blockSize);
            _checkAheadBlocks = Math.Clamp(owner._options.CheckAheadBytes / blockSize, 1, _aheadBlocks);
            _scheduled = new bool[_blocks];
            Array.Fill(_positions, -1);
            _positions[0] = 0;
        }

        private int _started;

        public void EnsureStarted()
        {
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                _ = Task.Run(RunAsync);
            }
        }

        public bool TryAddReference()
        {
            while (true)
            {
                var current = Volatile.Read(ref _references);
                if (current < 0)
                {
                    return false; // Already ended; the caller makes a new job.
                }

                if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
                {
                    return true;
                }
            }
        }

        public void OnRead(long offset, int length)
        {
            var block = offset / _owner._cache.BlockSize;
            var slot = Interlocked.Increment(ref _nextSlot) % Streams;
            // A read continuing a known stream moves it; a new position takes the oldest slot.
            for (var i = 0; i < Streams; i++)
            {
                var p = Volatile.Read(ref _positions[i]);
                if (p >= 0 && block >= p && block <= p + 1)
                {
                    slot = i;
                    break;
                }
            }

            Volatile.Write(ref _offsets[slot], offset);
            Volatile.Write(ref _positions[slot], block);
            Wake();
        }

        public void Dispose()
        {
            if (Interlocked.Decrement(ref _references) == 0 &&
                Interlocked.CompareExchange(ref _references, -1, 0) == 0)
            {
                Cancel();
                _owner._jobs.TryRemove(new KeyValuePair<string, FileJob>(_id.Key, this));
            }
        }

        public void Cancel()
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private void Wake()
        {
            try
            {
                if (_wake.CurrentCount == 0)
                {
                    _wake.Release();
                }
            }
            catch (SemaphoreFullException)
            {
            }
        }

        private async Task RunAsync()
        {
            var ct = _cts.Token;
            try
            {
                if (_id.Key.EndsWith(".safetensors", StringComparison.Ordinal))
                {
                    _tensors = await ReadSafetensorsIndexAsync(ct);
                }

                while (!ct.IsCancellationRequested && _failures < _owner._options.MaxFailures)
                {
                    var next = _source.CanReadAhead(_id) ? PickNext() : -1;
                    if (next < 0)
                    {
                        if (AllReadable())
                        {
                            return;
                        }

                        // Everything within reach is fetched or in flight, or the source says wait (a follower before the
                        // holder finished the file): wait for a reader to move, a fetch to end, or a second to pass.
                        await _wake.WaitAsync(TimeSpan.FromSeconds(1), ct);
                        continue;
                    }

                    await _owner._limiter.WaitAsync(ct);
                    _scheduled[next] = true;
                    _ = FetchAsync(next, ct);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task FetchAsync(long block, CancellationToken ct)
        {
            try
            {
                // Every block a fetch brings is checked as it lands; only a block already on disk may still need it.
                await _owner._cache.EnsureReadableAsync(_id, block, _source, ct);
                _owner._failures.Succeeded("prefetch");
            }
            catch (Exception ex) when (ex is OperationCanceledException || (ex is ObjectDisposedException && ct.IsCancellationRequested))
            {
                // Cancelled, or the daemon shutting down disposed the cache under a fetch it had just cancelled.
                _scheduled[block] = false;
            }
            catch (Exception ex)
            {
                _scheduled[block] = false;
                Interlocked.Increment(ref _failures);
                // A store outage fails every prefetch of every open file: one line, then summaries.
                if (_owner._failures.Failed("prefetch", FileSystem.ErrnoMap.Kind(ex), ex.Message))
                {
                    CoreLog.PrefetchFailed(_owner._logger, _id.Key, block, ex.Message);
                }

            }
            finally
            {
                _owner._limiter.Release();
                Wake();
            }
        }

        /// <summary>
        /// The next block for the neediest stream: of every stream's first missing, unscheduled block within reach, the
        /// one closest to its reader (ties: the most recent stream); -1 if none. Serving the newest stream first let it run
        /// far ahead while 15 other readers of the same file waited on demand fetches, and its blocks left memory
        /// before it got there.
        /// </summary>
        private long PickNext()
        {
            var newest = Volatile.Read(ref _nextSlot) % Streams;
            var best = -1L;
            var bestDistance = long.MaxValue;
            for (var k = 0; k < Streams && bestDistance > 0; k++)
            {
                var slot = (newest - k + Streams) % Streams;
                var anchor = Volatile.Read(ref _positions[slot]);
                if (anchor < 0)
                {
                    continue;
                }

                var next = NextFor(anchor, Volatile.Read(ref _offsets[slot]));
                if (next >= 0 && next - anchor < bestDistance)
                {
                    best = next;
                    bestDistance = next - anchor;
                }
            }

            return best;
        }

        /// <summary>The first block a stream at <paramref name="anchor"/> still needs, within its reach; -1 if none.</summary>
        private long NextFor(long anchor, long offset)
        {
            // The tensor end is looked up here, not when the read happened, so reads before the header was parsed count too.
            var tensorEnd = _tensors?.TensorEnd(offset) ?? -1;
            var until = tensorEnd > 0 ? (tensorEnd - 1) / _owner._cache.BlockSize : anchor;
            var end = Math.Min(_blocks, Math.Max(anchor + _aheadBlocks, until + 1));

            // Right ahead of the reader, blocks on disk that this process has not checked yet (a restart) count too.
            var nearEnd = Math.Min(end, anchor + _checkAheadBlocks);
            var near = FirstUnscheduled(anchor, nearEnd, readable: true);

            // A missing block is unreadable too: the near window is done, missing ones beyond it remain.
            return near >= 0 ? near : FirstUnscheduled(nearEnd, end, readable: false);
        }

        /// <summary>The first block in [from, to) that is missing (or with <paramref name="readable"/>, not yet readable) and not scheduled.</summary>
        private long FirstUnscheduled(long from, long to, bool readable)
        {
            for (var b = from; b < to; b++)
            {
                b = readable ? _owner._cache.FirstUnreadableBlock(_id, b, to) : _owner._cache.FirstMissingBlock(_id, b, to);
                if (b < 0)
                {
                    return -1;
                }

                if (!_scheduled[b])
                {
                    return b;
                }
            }

            return -1;
        }

        private async Task<SafetensorsIndex?> ReadSafetensorsIndexAsync(CancellationToken ct)
        {
            try
            {
                var first = new byte[8];
                if (_id.Size < 8 || await _owner._cache.ReadAsync(_id, 0, first, _source, ct) != 8)
                {
                    return null;
                }

                var length = SafetensorsIndex.HeaderLength(first, _id.Size);
                if (length < 0)
                {
                    return null;
                }

                var header = new byte[length];
                await _owner._cache.ReadAsync(_id, 8, header, _source, ct);
                return SafetensorsIndex.Parse(header, _id.Size);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CoreLog.PrefetchFailed(_owner._logger, _id.Key, 0, "safetensors header: " + ex.Message);
                return null;
            }
        }

        private bool AllReadable() => _owner._cache.FirstUnreadableBlock(_id, 0, _blocks) < 0;
    }

    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }
}
