using System.Diagnostics;
using System.Runtime.InteropServices;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Fuse.Session;

/*
 * The byte-level core of a session: one raw request in, exactly one reply out (or none, for FORGET, BATCH_FORGET,
 * INTERRUPT and NOTIFY_REPLY). It knows nothing of /dev/fuse: replies go to the IFuseReplySink the request came
 * from, so unit tests drive it with literal bytes and a capturing sink.
 *
 * What happens to each opcode is one row of the opcode table (FuseDispatcher.OpcodeTable.cs); this file is the
 * lookup, the size check and the reply-once machinery, the handlers live in FuseDispatcher.Handlers.cs.
 *
 * Handlers run inline on the calling (reader) thread until their first real await; a handler served from local
 * state replies without a thread hop, one waiting on the network continues on the thread pool and replies from
 * there. Replies therefore leave in completion order, each as one write. Request bytes are copied into a pooled
 * buffer before an async handler runs, because the reader reuses its buffer for the next request at once.
 */
public sealed partial class FuseDispatcher
{
    private const int MaxReplyPayload = 16 << 20;

    private readonly IFuseFileSystem _fileSystem;
    private readonly FuseSessionOptions _options;
    private readonly ILogger _logger;
    private readonly BufferPool _pool;
    private readonly InterruptTracker _interrupts = new();

    // One counter per opcode, bumped with one Interlocked increment per request: READ n at unmount tells whether the
    // page cache or passthrough served what users read.
    private readonly long[] _requestCounts = new long[OpcodeSlots];
    private IFuseNotifier _notifier = NullNotifier.Instance;
    private IFuseBackingDevice? _backingDevice;
    private FuseConnectionInfo? _connection;
    private long _pending;
    private TaskCompletionSource? _drained;
    private int _stopping;

    public FuseDispatcher(IFuseFileSystem fileSystem, FuseSessionOptions options, ILogger logger, BufferPool? pool = null)
    {
        _fileSystem = fileSystem;
        _options = options;
        _logger = logger;
        _pool = pool ?? BufferPool.Shared;
        Metrics = new FuseMetrics(_requestCounts);
    }

    /// <summary>Raised once INIT has been answered (successfully).</summary>
    public event Action<FuseConnectionInfo>? Initialized;

    /// <summary>What INIT negotiated; null before INIT.</summary>
    public FuseConnectionInfo? Connection => Volatile.Read(ref _connection);

    /// <summary>The instruments; the owner disposes them when the session ends.</summary>
    internal FuseMetrics Metrics { get; }

    /// <summary>Requests whose handlers are still running.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    internal void SetNotifier(IFuseNotifier notifier) => _notifier = notifier;

    /// <summary>Where backing files are registered; without one, passthrough is not asked for at INIT.</summary>
    internal void SetBackingDevice(IFuseBackingDevice device) => _backingDevice = device;

    /// <summary>How many requests of <paramref name="opcode"/> have reached the dispatcher so far (answered or not).</summary>
    public long RequestCount(FuseOpcode opcode) =>
        (uint)opcode < OpcodeSlots ? Interlocked.Read(ref _requestCounts[(int)opcode]) : 0;

    /// <summary>A snapshot of the non-zero request counts, by opcode. Opcodes beyond the table are not counted.</summary>
    public IReadOnlyDictionary<FuseOpcode, long> SnapshotRequestCounts()
    {
        var counts = new SortedDictionary<FuseOpcode, long>();
        for (var i = 0; i < OpcodeSlots; i++)
        {
            var n = Interlocked.Read(ref _requestCounts[i]);
            if (n != 0)
            {
                counts[(FuseOpcode)i] = n;
            }
        }

        return counts;
    }

    /// <summary>
    /// Handles one request. <paramref name="request"/> may be reused by the caller as soon as this returns. The task
    /// completes when the reply has been written (tests await it; the session does not).
    /// </summary>
    public Task DispatchAsync(ReadOnlySpan<byte> request, IFuseReplySink sink)
    {
        if (request.Length < FuseInHeader.Size)
        {
            return Task.CompletedTask; // The kernel never sends this; nothing to reply to.
        }

        var header = MemoryMarshal.Read<FuseInHeader>(request);
        if (header.Opcode < OpcodeSlots)
        {
            Interlocked.Increment(ref _requestCounts[header.Opcode]);
        }

        var bodyEnd = Math.Min(request.Length, (int)header.Len) - (header.TotalExtLen * 8);
        if (bodyEnd < FuseInHeader.Size)
        {
            ReplyError(sink, header, Errno.EINVAL);
            return Task.CompletedTask;
        }

        var body = request[FuseInHeader.Size..bodyEnd];
        if (Connection is null && header.Opcode != (uint)FuseOpcode.Init)
        {
            LogMessages.RequestBeforeInit(_logger, ((FuseOpcode)header.Opcode).ToString());
            ReplyError(sink, header, Errno.EIO);
            return Task.CompletedTask;
        }

        var entry = EntryFor(header.Opcode);
        if (body.Length < entry.MinBodySize)
        {
            if (entry.Mode != ReplyMode.None)
            {
                ReplyError(sink, header, Errno.EINVAL);
            }

            return Task.CompletedTask;
        }

        if (entry.Mode != ReplyMode.Async)
        {
            entry.Inline!(this, sink, header, body);
            return Task.CompletedTask;
        }

        if (entry.Gate is { } gate && gate(body) is var refusal and not Errno.Success)
        {
            ReplyError(sink, header, refusal);
            return Task.CompletedTask;
        }

        // Stopping: a request that may wait on the store is refused at once, or shutdown would wait behind it (mmap
        // readers fault the next page as soon as one is answered). RELEASE only frees our own state.
        if (Stopping && header.Opcode is not ((uint)FuseOpcode.Release or (uint)FuseOpcode.ReleaseDir))
        {
            ReplyError(sink, header, Errno.EIO);
            return Task.CompletedTask;
        }

        var started = Stopwatch.GetTimestamp();
        var copy = _pool.Rent(request.Length);
        request.CopyTo(copy);
        var state = new RequestState(copy, bodyEnd, header, sink, _interrupts.Register(header.Unique), started);
        Interlocked.Increment(ref _pending);
        if (Stopping)
        {
            // Raced with CancelAllAsync's sweep: cancel it here, so the drain it waits for does not wait on us.
            _ = state.Cancellation.CancelAsync();
        }

        return HandleAsync(state, entry.Async!);
    }

    /// <summary>True once <see cref="CancelAllAsync"/> has been called: new requests are refused with EIO.</summary>
    public bool Stopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>
    /// Stops the dispatcher: from now on requests are refused (EIO), every handler in flight is cancelled (its request
    /// answered EINTR), and this waits until they have replied. Safe to call again, e.g. to wait for the drain once more.
    /// </summary>
    public async Task<bool> CancelAllAsync(TimeSpan timeout)
    {
        Volatile.Write(ref _stopping, 1);
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        _interrupts.InterruptAll();
        if (Pending == 0)
        {
            return true;
        }

        try
        {
            await drained.Task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Runs one async handler and guarantees its request is answered exactly once, whatever the handler does.</summary>
    private async Task HandleAsync(RequestState state, Func<FuseDispatcher, RequestState, CancellationToken, Task> handler)
    {
        var ct = state.Cancellation.Token;
        try
        {
            await handler(this, state, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (!state.Replied)
            {
                ReplyError(state, Errno.EINTR);
            }
        }
        catch (Exception ex)
        {
            LogMessages.HandlerFailed(_logger, ex, ((FuseOpcode)state.Header.Opcode).ToString(), state.Header.Unique, state.Header.NodeId);
            if (!state.Replied)
            {
                ReplyError(state, Errno.EIO);
            }
        }
        finally
        {
            if (!state.Replied)
            {
                LogMessages.NotReplied(_logger, ((FuseOpcode)state.Header.Opcode).ToString(), state.Header.Unique, state.Header.NodeId);
                ReplyError(state, Errno.EIO);
            }

            Metrics.Completed(state.Header.Opcode, state.Started);
            _interrupts.Complete(state.Header.Unique, state.Cancellation);
            _pool.Return(state.Buffer);
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    /// <summary>The reply to a call that yields a value or an errno: the value as its kernel struct, or the errno.</summary>
    private void Reply<T, TOut>(RequestState state, in FuseResult<T> result, Func<T, TOut> toKernel) where TOut : unmanaged
    {
        if (result.IsSuccess)
        {
            ReplyStruct(state, toKernel(result.Value));
        }
        else
        {
            ReplyError(state, result.Error);
        }
    }

    private void ReplyStruct<T>(RequestState state, in T value) where T : unmanaged
    {
        var size = Marshal.SizeOf<T>();
        Span<byte> reply = stackalloc byte[FuseOutHeader.Size + 128];
        reply = reply[..(FuseOutHeader.Size + size)];
        AbiWriter.Write(reply[FuseOutHeader.Size..], value);
        SendWithHeader(state, reply);
    }

    private void ReplyEmpty(RequestState state) => SendWithHeader(state, stackalloc byte[FuseOutHeader.Size]);

    private void ReplyError(RequestState state, Errno error)
    {
        if (!state.TryMarkReplied())
        {
            throw new InvalidOperationException($"Request {state.Header.Unique} was already answered.");
        }

        ReplyError(state.Sink, state.Header, error);
    }

    /// <summary>Fills in the header at the start of <paramref name="message"/> and sends it; the single reply of the request.</summary>
    private void SendWithHeader(RequestState state, Span<byte> message)
    {
        if (!state.TryMarkReplied())
        {
            throw new InvalidOperationException($"Request {state.Header.Unique} was already answered.");
        }

        SendReply(state.Sink, state.Header, message);
    }

    /// <summary>The single reply of the request: a header and a payload the caller owns, as one gathered write.</summary>
    private void SendWithPayload(RequestState state, ReadOnlySpan<byte> payload)
    {
        if (!state.TryMarkReplied())
        {
            throw new InvalidOperationException($"Request {state.Header.Unique} was already answered.");
        }

        Span<byte> header = stackalloc byte[FuseOutHeader.Size];
        AbiWriter.WriteOutHeader(header, FuseOutHeader.Size + payload.Length, Errno.Success, state.Header.Unique);
        CheckWrite(state.Sink.Send(header, payload), state.Header);
    }

    private void ReplyEmpty(IFuseReplySink sink, FuseInHeader header) => SendReply(sink, header, stackalloc byte[FuseOutHeader.Size]);

    private void ReplyError(IFuseReplySink sink, FuseInHeader header, Errno error)
    {
        Metrics.Error(header.Opcode, error);
        Span<byte> reply = stackalloc byte[FuseOutHeader.Size];
        AbiWriter.WriteOutHeader(reply, FuseOutHeader.Size, error, header.Unique);
        CheckWrite(sink.Send(reply), header);
    }

    private void SendReply(IFuseReplySink sink, FuseInHeader header, Span<byte> message)
    {
        AbiWriter.WriteOutHeader(message, message.Length, Errno.Success, header.Unique);
        CheckWrite(sink.Send(message), header);
    }

    private void CheckWrite(Errno result, FuseInHeader header)
    {
        // ENOENT: the kernel stopped waiting (interrupted, aborted, unmounted). ENODEV: the connection is gone.
        if (result is not (Errno.Success or Errno.ENOENT or Errno.ENODEV or Errno.ECONNABORTED))
        {
            LogMessages.ReplyRejected(_logger, ((FuseOpcode)header.Opcode).ToString(), header.Unique, result);
        }
    }

    private sealed class NullNotifier : IFuseNotifier
    {
        public static readonly NullNotifier Instance = new();

        public Errno InvalidateInode(NodeId node, long offset, long length) => Errno.ENOSYS;

        public Errno InvalidateEntry(NodeId parent, ReadOnlySpan<byte> name) => Errno.ENOSYS;

        public Errno Store(NodeId node, long offset, ReadOnlySpan<byte> data) => Errno.ENOSYS;
    }
}
