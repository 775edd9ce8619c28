using System.Globalization;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Mounting;
using HcpModelFs.Fuse.Native;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Fuse.Session;

/*
 * A FUSE session: the mounted connection, its reader threads and the dispatcher.
 *
 * Start: reader 0 reads INIT on the session's own descriptor (the kernel parks everything else until INIT is
 * answered), then clones one descriptor per further reader (FUSE_DEV_IOC_CLONE) so each reader has its own queue of
 * replies, and the mount's readahead is raised through sysfs. Readers are dedicated threads blocked in read(2); they
 * never wait on the network — handlers that do continue on the thread pool.
 *
 * Stop: refuse new requests (EIO) and cancel what is in flight (EINTR), unmount, wait for every reader to see ENODEV,
 * and abort the connection through fusectl if one does not within the timeout — at once when the unmount had to be
 * lazy, since open files would keep it alive — so nothing is left hanging; then wait for the last handlers to reply.
 */
public sealed class FuseSession : IAsyncDisposable
{
    private readonly FuseMount _mount;
    private readonly FuseSessionOptions _options;
    private readonly ILogger _logger;
    private readonly FuseDispatcher _dispatcher;
    private readonly List<Thread> _readers = [];
    private readonly List<FuseDevice> _clones = [];
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readersDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runningReaders;
    private int _stopped;

    private FuseSession(FuseMount mount, IFuseFileSystem fileSystem, FuseSessionOptions options, ILogger logger, BufferPool pool)
    {
        _mount = mount;
        _options = options;
        _logger = logger;
        _dispatcher = new FuseDispatcher(fileSystem, options, logger, pool);
        _dispatcher.SetNotifier(new FuseNotifier(mount.Device, pool));
        _dispatcher.SetBackingDevice(mount.Device);
        _dispatcher.Initialized += OnInitialized;
    }

    public string MountPoint => _mount.MountPoint;

    public FuseConnectionInfo? Connection => _dispatcher.Connection;

    /// <summary>How many requests of <paramref name="opcode"/> the kernel has sent (READ: what neither the page cache nor passthrough served).</summary>
    public long RequestCount(FuseOpcode opcode) => _dispatcher.RequestCount(opcode);

    /// <summary>A snapshot of the non-zero request counts, by opcode.</summary>
    public IReadOnlyDictionary<FuseOpcode, long> SnapshotRequestCounts() => _dispatcher.SnapshotRequestCounts();

    /// <summary>Completes when every reader thread has ended (the connection is gone).</summary>
    public Task Completion => _readersDone.Task;

    /// <summary>Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> and waits until INIT is done.</summary>
    public static async Task<FuseSession> StartAsync(
        string mountPoint,
        IFuseFileSystem fileSystem,
        FuseMountOptions mountOptions,
        FuseSessionOptions sessionOptions,
        ILogger logger,
        CancellationToken cancellationToken,
        BufferPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(sessionOptions);
        var mount = FuseMounter.Mount(mountPoint, mountOptions, logger);
        var session = new FuseSession(mount, fileSystem, sessionOptions, logger, pool ?? BufferPool.Shared);
        session.StartReader(mount.Device, 0);
        try
        {
            await session._initialized.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }

        return session;
    }

    /// <summary>Unmounts and stops. Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await Completion.WaitAsync(_options.StopTimeout * 2).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        // Requests waiting in our handlers get EINTR now, new ones EIO, rather than waiting for a store that may never
        // answer (mmap readers fault the next page as soon as one is answered, so new ones keep coming).
        await _dispatcher.CancelAllAsync(_options.StopTimeout);

        var entry = SafeFind(_mount.MountPoint);
        var outcome = entry is null
            ? UnmountOutcome.Unmounted
            : FuseMounter.Unmount(_mount.MountPoint, _mount.ViaFusermount, lazyIfBusy: true, _logger);

        // Detached: the files still open keep the connection, and its readers, alive until their users close them,
        // which a blocked mmap reader never does. Abort it at once instead of waiting for that.
        var done = outcome != UnmountOutcome.Detached && await WaitReadersAsync(_options.StopTimeout);
        if (!done && entry is not null && TryAbort(entry))
        {
            done = await WaitReadersAsync(_options.StopTimeout);
        }

        // Handlers still finishing write their replies to these descriptors: close them only once all have replied.
        var drained = _dispatcher.Pending == 0 || await _dispatcher.CancelAllAsync(_options.StopTimeout);

        LogMessages.RequestsServed(
            _logger, _mount.MountPoint, string.Join(' ', SnapshotRequestCounts().Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key.ToString().ToUpperInvariant()}={c.Value}"))));
        _dispatcher.Metrics.Dispose();
        if (done && drained)
        {
            foreach (var clone in _clones)
            {
                clone.Dispose();
            }

            _mount.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private void StartReader(FuseDevice device, int index)
    {
        Interlocked.Increment(ref _runningReaders);
        var thread = new Thread(() => ReaderLoop(device, index))
        {
            IsBackground = true, // A connection kept alive by a lazy unmount must not keep the process alive.
            Name = "fuse-reader-" + index.ToString(CultureInfo.InvariantCulture),
        };
        _readers.Add(thread);
        thread.Start();
    }

    private void ReaderLoop(FuseDevice device, int index)
    {
        // Requests of a read-only filesystem are small; the buffer size is what the kernel demands (max_write + 4 KiB).
        var buffer = GC.AllocateUninitializedArray<byte>((int)_options.MaxWrite + 4096, pinned: true);
        try
        {
            while (true)
            {
                var n = device.Read(buffer);
                if (n < 0)
                {
                    var errno = (Errno)(-n);
                    if (errno is Errno.EINTR or Errno.EAGAIN or Errno.ENOENT)
                    {
                        continue;
                    }

                    if (errno is not (Errno.ENODEV or Errno.ECONNABORTED))
                    {
                        LogMessages.ReaderFailed(_logger, index, errno);
                    }

                    break;
                }

                _ = _dispatcher.DispatchAsync(buffer.AsSpan(0, n), device);
            }
        }
        finally
        {
            _initialized.TrySetException(new FuseMountException("The FUSE connection ended before INIT completed."));
            if (Interlocked.Decrement(ref _runningReaders) == 0)
            {
                _readersDone.TrySetResult();
            }
        }
    }

    private void OnInitialized(FuseConnectionInfo connection)
    {
        // Runs on reader 0 right after the INIT reply: start the other readers before anyone can queue much.
        try
        {
            for (var i = 1; i < _options.ReaderThreads; i++)
            {
                var clone = _mount.Device.Clone();
                _clones.Add(clone);
                StartReader(clone, i);
            }
        }
        catch (IOException ex)
        {
            _initialized.TrySetException(ex);
            return;
        }

        // Sysfs writes are not requests to ourselves, but finding the BDI reads mountinfo: keep it off the reader.
        _ = Task.Run(() =>
        {
            RaiseReadAhead();
            _initialized.TrySetResult();
        });
    }

    private void RaiseReadAhead()
    {
        if (_options.ReadAheadKb is not { } kb)
        {
            return;
        }

        var entry = SafeFind(_mount.MountPoint);
        if (entry is null)
        {
            return;
        }

        var bdi = string.Create(CultureInfo.InvariantCulture, $"{entry.Major}:{entry.Minor}");
        try
        {
            File.WriteAllText($"/sys/class/bdi/{bdi}/read_ahead_kb", kb.ToString(CultureInfo.InvariantCulture));
            LogMessages.ReadAheadRaised(_logger, bdi, kb);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogMessages.ReadAheadNotRaised(_logger, bdi, ex.Message);
        }
    }

    private async Task<bool> WaitReadersAsync(TimeSpan timeout)
    {
        try
        {
            await Completion.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private bool TryAbort(MountInfoEntry entry)
    {
        // fusectl lets root fail every pending and future request of a connection, which ends the readers.
        const string Connections = "/sys/fs/fuse/connections";
        var id = FuseMounter.ConnectionId(entry);
        try
        {
            if (!File.Exists(Path.Combine(Connections, id!, "abort")) && FuseMounter.IsRoot)
            {
                _ = LibC.Mount("fusectl", Connections, "fusectl", 0, string.Empty);
            }

            File.WriteAllText(Path.Combine(Connections, id!, "abort"), "1");
            LogMessages.ConnectionAborted(_logger, id!);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static MountInfoEntry? SafeFind(string mountPoint)
    {
        try
        {
            return MountTable.Find(mountPoint);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
