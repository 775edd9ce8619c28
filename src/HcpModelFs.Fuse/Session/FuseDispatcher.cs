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
 * Handlers run inline on the calling (reader) thread until their first real await; a handler served from local
 * state replies without a thread hop, one waiting on the network continues on the thread pool and replies from
 * there. Replies therefore leave in completion order, each as one write. Request bytes are copied into a pooled
 * buffer before an async handler runs, because the reader reuses its buffer for the next request at once.
 */
public sealed class FuseDispatcher
{
    private const int OAccMode = 3;
    private const int OTrunc = 0x200;
    private const int MaxReplyPayload = 16 << 20;

    private readonly IFuseFileSystem _fileSystem;
    private readonly FuseSessionOptions _options;
    private readonly ILogger _logger;
    private readonly BufferPool _pool;
    private readonly InterruptTracker _interrupts = new();
    private IFuseNotifier _notifier = NullNotifier.Instance;
    private FuseConnectionInfo? _connection;
    private long _pending;
    private TaskCompletionSource? _drained;

    public FuseDispatcher(IFuseFileSystem fileSystem, FuseSessionOptions options, ILogger logger, BufferPool? pool = null)
    {
        _fileSystem = fileSystem;
        _options = options;
        _logger = logger;
        _pool = pool ?? BufferPool.Shared;
    }

    /// <summary>Raised once INIT has been answered (successfully).</summary>
    public event Action<FuseConnectionInfo>? Initialized;

    /// <summary>What INIT negotiated; null before INIT.</summary>
    public FuseConnectionInfo? Connection => Volatile.Read(ref _connection);

    /// <summary>Requests whose handlers are still running.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    internal void SetNotifier(IFuseNotifier notifier) => _notifier = notifier;

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
        var bodyEnd = Math.Min(request.Length, (int)header.Len) - (header.TotalExtLen * 8);
        if (bodyEnd < FuseInHeader.Size)
        {
            ReplyError(sink, header, Errno.EINVAL);
            return Task.CompletedTask;
        }

        var body = request[FuseInHeader.Size..bodyEnd];
        var opcode = (FuseOpcode)header.Opcode;

        if (Connection is null && opcode != FuseOpcode.Init)
        {
            LogMessages.RequestBeforeInit(_logger, opcode.ToString());
            ReplyError(sink, header, Errno.EIO);
            return Task.CompletedTask;
        }

        switch (opcode)
        {
            case FuseOpcode.Init:
                HandleInit(sink, header, body);
                return Task.CompletedTask;
            case FuseOpcode.Forget:
                if (body.Length >= FuseForgetIn.Size)
                {
                    _fileSystem.Forget(new NodeId(header.NodeId), MemoryMarshal.Read<FuseForgetIn>(body).NLookup);
                }

                return Task.CompletedTask;
            case FuseOpcode.BatchForget:
                HandleBatchForget(body);
                return Task.CompletedTask;
            case FuseOpcode.Interrupt:
                // Best effort: cancel the target if it is still running; it is answered (EINTR) by its own handler.
                // An INTERRUPT that overtook its target is ignored, which is always correct (the target still replies).
                if (body.Length >= FuseInterruptIn.Size)
                {
                    _interrupts.Interrupt(MemoryMarshal.Read<FuseInterruptIn>(body).Unique);
                }

                return Task.CompletedTask;
            case FuseOpcode.NotifyReply:
                return Task.CompletedTask;
            case FuseOpcode.Destroy:
                ReplyEmpty(sink, header);
                return Task.CompletedTask;

            // A read-only filesystem: refuse every write-type operation with EROFS (ENOSYS would make the kernel fall
            // back, e.g. CREATE -> MKNOD). With a ro mount the VFS answers these itself; this covers other mounts.
            case FuseOpcode.SetAttr:
            case FuseOpcode.Symlink:
            case FuseOpcode.MkNod:
            case FuseOpcode.MkDir:
            case FuseOpcode.Unlink:
            case FuseOpcode.RmDir:
            case FuseOpcode.Rename:
            case FuseOpcode.Link:
            case FuseOpcode.Write:
            case FuseOpcode.SetXAttr:
            case FuseOpcode.RemoveXAttr:
            case FuseOpcode.Create:
            case FuseOpcode.FAllocate:
            case FuseOpcode.Rename2:
            case FuseOpcode.CopyFileRange:
            case FuseOpcode.CopyFileRange64:
            case FuseOpcode.TmpFile:
                ReplyError(sink, header, Errno.EROFS);
                return Task.CompletedTask;

            case FuseOpcode.Open:
                if (body.Length >= FuseOpenIn.Size)
                {
                    var flags = (int)MemoryMarshal.Read<FuseOpenIn>(body).Flags;
                    if ((flags & OAccMode) != 0 || (flags & OTrunc) != 0)
                    {
                        ReplyError(sink, header, Errno.EROFS);
                        return Task.CompletedTask;
                    }
                }

                break;

            case FuseOpcode.Lookup:
            case FuseOpcode.GetAttr:
            case FuseOpcode.Read:
            case FuseOpcode.Release:
            case FuseOpcode.OpenDir:
            case FuseOpcode.ReadDir:
            case FuseOpcode.ReadDirPlus:
            case FuseOpcode.ReleaseDir:
            case FuseOpcode.StatFs:
            case FuseOpcode.ReadLink:
            case FuseOpcode.GetXAttr:
            case FuseOpcode.ListXAttr:
                break;

            default:
                // FLUSH, FSYNC, FSYNCDIR, SYNCFS, ACCESS, LSEEK, POLL, STATX, BMAP, IOCTL, locks and anything newer:
                // ENOSYS, which the kernel remembers (sticky) for all but a few, so each is asked about once.
                ReplyError(sink, header, Errno.ENOSYS);
                return Task.CompletedTask;
        }

        var copy = _pool.Rent(request.Length);
        request.CopyTo(copy);
        var context = new RequestState(copy, bodyEnd, header, sink, _interrupts.Register(header.Unique));
        Interlocked.Increment(ref _pending);
        return HandleAsync(context);
    }

    /// <summary>Cancels every handler in flight (their requests are answered EINTR) and waits until they have replied.</summary>
    public async Task<bool> CancelAllAsync(TimeSpan timeout)
    {
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

    private async Task HandleAsync(RequestState state)
    {
        var opcode = (FuseOpcode)state.Header.Opcode;
        var node = new NodeId(state.Header.NodeId);
        var context = new FuseRequestContext(state.Header.Unique, state.Header.Uid, state.Header.Gid, state.Header.Pid);
        var ct = state.Cancellation.Token;
        try
        {
            switch (opcode)
            {
                case FuseOpcode.Lookup:
                {
                    var result = await _fileSystem.LookupAsync(node, state.NameAt(0), context, ct);
                    if (result.IsSuccess)
                    {
                        ReplyStruct(state, AbiWriter.ToEntryOut(result.Value));
                    }
                    else
                    {
                        ReplyError(state, result.Error);
                    }

                    break;
                }

                case FuseOpcode.GetAttr:
                {
                    FileHandle? handle = null;
                    if (state.Body.Length >= FuseGetAttrIn.Size)
                    {
                        var input = MemoryMarshal.Read<FuseGetAttrIn>(state.Body.Span);
                        if ((input.GetAttrFlags & FuseGetAttrIn.FhFlag) != 0)
                        {
                            handle = new FileHandle(input.Fh);
                        }
                    }

                    var result = await _fileSystem.GetAttrAsync(node, handle, context, ct);
                    if (result.IsSuccess)
                    {
                        ReplyStruct(state, AbiWriter.ToAttrOut(result.Value));
                    }
                    else
                    {
                        ReplyError(state, result.Error);
                    }

                    break;
                }

                case FuseOpcode.Open:
                case FuseOpcode.OpenDir:
                {
                    var flags = state.Body.Length >= FuseOpenIn.Size ? (int)MemoryMarshal.Read<FuseOpenIn>(state.Body.Span).Flags : 0;
                    var result = opcode == FuseOpcode.Open
                        ? await _fileSystem.OpenAsync(node, flags, context, ct)
                        : await _fileSystem.OpenDirAsync(node, flags, context, ct);
                    if (result.IsSuccess)
                    {
                        ReplyStruct(state, AbiWriter.ToOpenOut(result.Value));
                    }
                    else
                    {
                        ReplyError(state, result.Error);
                    }

                    break;
                }

                case FuseOpcode.Read:
                    await HandleReadAsync(state, node, context, ct);
                    break;

                case FuseOpcode.ReadDir:
                case FuseOpcode.ReadDirPlus:
                    await HandleReadDirAsync(state, node, context, opcode == FuseOpcode.ReadDirPlus, ct);
                    break;

                case FuseOpcode.Release:
                case FuseOpcode.ReleaseDir:
                {
                    var fh = state.Body.Length >= FuseReleaseIn.Size ? MemoryMarshal.Read<FuseReleaseIn>(state.Body.Span).Fh : 0;
                    if (opcode == FuseOpcode.Release)
                    {
                        await _fileSystem.ReleaseAsync(node, new FileHandle(fh), ct);
                    }
                    else
                    {
                        await _fileSystem.ReleaseDirAsync(node, new FileHandle(fh), ct);
                    }

                    ReplyEmpty(state);
                    break;
                }

                case FuseOpcode.StatFs:
                {
                    var result = await _fileSystem.StatFsAsync(node, ct);
                    if (result.IsSuccess)
                    {
                        ReplyStruct(state, AbiWriter.ToKStatFs(result.Value));
                    }
                    else
                    {
                        ReplyError(state, result.Error);
                    }

                    break;
                }

                case FuseOpcode.ReadLink:
                    await HandleBufferReplyAsync(state, 4096, (fs, buffer, token) => fs.ReadLinkAsync(node, buffer, token), ct);
                    break;

                case FuseOpcode.GetXAttr:
                case FuseOpcode.ListXAttr:
                    await HandleXAttrAsync(state, node, opcode, ct);
                    break;

                default:
                    ReplyError(state, Errno.ENOSYS);
                    break;
            }
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
            LogMessages.HandlerFailed(_logger, ex, opcode.ToString(), state.Header.Unique, state.Header.NodeId);
            if (!state.Replied)
            {
                ReplyError(state, Errno.EIO);
            }
        }
        finally
        {
            if (!state.Replied)
            {
                LogMessages.NotReplied(_logger, opcode.ToString(), state.Header.Unique, state.Header.NodeId);
                ReplyError(state, Errno.EIO);
            }

            _interrupts.Complete(state.Header.Unique, state.Cancellation);
            _pool.Return(state.Buffer);
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    private async Task HandleReadAsync(RequestState state, NodeId node, FuseRequestContext context, CancellationToken ct)
    {
        if (state.Body.Length < FuseReadIn.Size)
        {
            ReplyError(state, Errno.EINVAL);
            return;
        }

        var input = MemoryMarshal.Read<FuseReadIn>(state.Body.Span);
        if (input.ReadSize > MaxReplyPayload || input.Offset > long.MaxValue)
        {
            ReplyError(state, Errno.EINVAL);
            return;
        }

        var size = (int)input.ReadSize;
        var buffer = _pool.Rent(FuseOutHeader.Size + size);
        try
        {
            // The filesystem writes straight into the reply buffer, after the space kept for the header.
            var result = await _fileSystem.ReadAsync(
                node, new FileHandle(input.Fh), (long)input.Offset, buffer.AsMemory(FuseOutHeader.Size, size), context, ct);
            if (!result.IsSuccess)
            {
                ReplyError(state, result.Error);
                return;
            }

            var count = result.Value;
            if (count < 0 || count > size)
            {
                throw new InvalidOperationException($"ReadAsync returned {count} bytes for a {size}-byte request.");
            }

            SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + count));
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private async Task HandleReadDirAsync(RequestState state, NodeId node, FuseRequestContext context, bool plus, CancellationToken ct)
    {
        if (state.Body.Length < FuseReadIn.Size)
        {
            ReplyError(state, Errno.EINVAL);
            return;
        }

        var input = MemoryMarshal.Read<FuseReadIn>(state.Body.Span);
        var size = (int)Math.Min(input.ReadSize, (uint)MaxReplyPayload);
        var buffer = _pool.Rent(FuseOutHeader.Size + size);
        try
        {
            var writer = new DirentWriter(buffer.AsMemory(FuseOutHeader.Size, size), plus);
            var error = await _fileSystem.ReadDirAsync(node, new FileHandle(input.Fh), (long)input.Offset, writer, context, ct);

            // Records already in the buffer were counted as lookups (plus mode): deliver them even if the listing then
            // failed; the next READDIR surfaces the error.
            if (error != Errno.Success && writer.Count == 0)
            {
                ReplyError(state, error);
                return;
            }

            SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + writer.BytesWritten));
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private async Task HandleXAttrAsync(RequestState state, NodeId node, FuseOpcode opcode, CancellationToken ct)
    {
        if (state.Body.Length < FuseGetXAttrIn.Size)
        {
            ReplyError(state, Errno.EINVAL);
            return;
        }

        var requested = (int)Math.Min(MemoryMarshal.Read<FuseGetXAttrIn>(state.Body.Span).XAttrSize, (uint)MaxReplyPayload);
        var buffer = _pool.Rent(FuseOutHeader.Size + Math.Max(requested, FuseGetXAttrOut.Size));
        try
        {
            var destination = buffer.AsMemory(FuseOutHeader.Size, requested);
            var result = opcode == FuseOpcode.GetXAttr
                ? await _fileSystem.GetXAttrAsync(node, state.NameAt(FuseGetXAttrIn.Size), destination, ct)
                : await _fileSystem.ListXAttrAsync(node, destination, ct);
            if (!result.IsSuccess)
            {
                ReplyError(state, result.Error);
            }
            else if (requested == 0)
            {
                // A size probe is answered with fuse_getxattr_out, never with the value itself.
                ReplyStruct(state, new FuseGetXAttrOut { XAttrSize = (uint)result.Value });
            }
            else if (result.Value > requested)
            {
                ReplyError(state, Errno.ERANGE);
            }
            else
            {
                SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + result.Value));
            }
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private async Task HandleBufferReplyAsync(
        RequestState state,
        int capacity,
        Func<IFuseFileSystem, Memory<byte>, CancellationToken, ValueTask<FuseResult<int>>> call,
        CancellationToken ct)
    {
        var buffer = _pool.Rent(FuseOutHeader.Size + capacity);
        try
        {
            var result = await call(_fileSystem, buffer.AsMemory(FuseOutHeader.Size, capacity), ct);
            if (!result.IsSuccess)
            {
                ReplyError(state, result.Error);
            }
            else if (result.Value < 0 || result.Value > capacity)
            {
                ReplyError(state, Errno.ENAMETOOLONG);
            }
            else
            {
                SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + result.Value));
            }
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private void HandleInit(IFuseReplySink sink, FuseInHeader header, ReadOnlySpan<byte> body)
    {
        if (body.Length < FuseInitIn.CompatSize)
        {
            ReplyError(sink, header, Errno.EINVAL);
            return;
        }

        Span<byte> initIn = stackalloc byte[FuseInitIn.Size];
        initIn.Clear();
        body[..Math.Min(body.Length, FuseInitIn.Size)].CopyTo(initIn);
        var input = MemoryMarshal.Read<FuseInitIn>(initIn);

        if (input.Major < FuseConstants.KernelMajor)
        {
            ReplyError(sink, header, Errno.EPROTO);
            return;
        }

        Span<byte> reply = stackalloc byte[FuseOutHeader.Size + FuseInitOut.Size];
        reply.Clear();
        if (input.Major > FuseConstants.KernelMajor)
        {
            // A newer major: answer with ours only; the kernel then sends a second INIT at our major.
            var majorOnly = new FuseInitOut { Major = FuseConstants.KernelMajor };
            MemoryMarshal.Write(reply[FuseOutHeader.Size..], in majorOnly);
            SendReply(sink, header, reply[..(FuseOutHeader.Size + 8)]);
            return;
        }

        ulong offered = input.Flags;
        if ((input.Flags & (uint)FuseInitFlags.InitExt) != 0)
        {
            offered |= (ulong)input.Flags2 << 32;
        }

        var granted = (FuseInitFlags)offered & _options.WantedFlags;
        var minor = Math.Min(input.Minor, FuseConstants.KernelMinor);
        var maxPages = (granted & FuseInitFlags.MaxPages) != 0 ? _options.MaxPages : (ushort)32;
        var output = new FuseInitOut
        {
            Major = FuseConstants.KernelMajor,
            Minor = minor,
            MaxReadahead = input.MaxReadahead,
            Flags = (uint)((ulong)granted & 0xFFFF_FFFF),
            Flags2 = (uint)((ulong)granted >> 32),
            MaxBackground = _options.MaxBackground,
            CongestionThreshold = _options.CongestionThreshold,
            MaxWrite = _options.MaxWrite,
            TimeGran = 1,
            MaxPages = maxPages,
        };

        var connection = new FuseConnectionInfo
        {
            ProtocolMajor = FuseConstants.KernelMajor,
            ProtocolMinor = minor,
            Flags = granted,
            MaxReadSize = maxPages * 4096,
            MaxReadahead = input.MaxReadahead,
            MaxBackground = _options.MaxBackground,
        };

        // The filesystem learns the connection before any other request can arrive: nothing else is processed until
        // this reply is written.
        _fileSystem.OnInitialized(connection, _notifier);
        Volatile.Write(ref _connection, connection);

        // Kernels before 7.23 take the 24-byte compat layout.
        var outSize = input.Minor >= 23 ? FuseInitOut.Size : 24;
        MemoryMarshal.Write(reply[FuseOutHeader.Size..], in output);
        SendReply(sink, header, reply[..(FuseOutHeader.Size + outSize)]);
        LogMessages.Initialized(_logger, connection.ProtocolMajor, minor, (ulong)granted, connection.MaxReadSize, connection.MaxBackground);
        Initialized?.Invoke(connection);
    }

    private void HandleBatchForget(ReadOnlySpan<byte> body)
    {
        if (body.Length < FuseBatchForgetIn.Size)
        {
            return;
        }

        var count = MemoryMarshal.Read<FuseBatchForgetIn>(body).Count;
        var items = body[FuseBatchForgetIn.Size..];
        for (var i = 0; i < count && (i + 1) * FuseForgetOne.Size <= items.Length; i++)
        {
            var one = MemoryMarshal.Read<FuseForgetOne>(items[(i * FuseForgetOne.Size)..]);
            _fileSystem.Forget(new NodeId(one.NodeId), one.NLookup);
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

    private void ReplyEmpty(IFuseReplySink sink, FuseInHeader header) => SendReply(sink, header, stackalloc byte[FuseOutHeader.Size]);

    private void ReplyError(IFuseReplySink sink, FuseInHeader header, Errno error)
    {
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

    private sealed class RequestState
    {
        private int _replied;

        public RequestState(byte[] buffer, int bodyEnd, FuseInHeader header, IFuseReplySink sink, CancellationTokenSource cancellation)
        {
            Buffer = buffer;
            Body = buffer.AsMemory(FuseInHeader.Size, bodyEnd - FuseInHeader.Size);
            Header = header;
            Sink = sink;
            Cancellation = cancellation;
        }

        public byte[] Buffer { get; }

        public ReadOnlyMemory<byte> Body { get; }

        public FuseInHeader Header { get; }

        public IFuseReplySink Sink { get; }

        public CancellationTokenSource Cancellation { get; }

        public bool Replied => Volatile.Read(ref _replied) != 0;

        public bool TryMarkReplied() => Interlocked.Exchange(ref _replied, 1) == 0;

        /// <summary>The NUL-terminated name starting at <paramref name="offset"/> in the body, without its terminator.</summary>
        public ReadOnlyMemory<byte> NameAt(int offset)
        {
            if (offset >= Body.Length)
            {
                return ReadOnlyMemory<byte>.Empty;
            }

            var rest = Body[offset..];
            var end = rest.Span.IndexOf((byte)0);
            return end < 0 ? rest : rest[..end];
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
