using System.Runtime.InteropServices;
using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Session;

/*
 * The inline handlers of the opcode table: INIT and the requests that are never answered. They run on the reader
 * thread against the reader's own buffer, so they must not block and must not keep the body.
 */
public sealed partial class FuseDispatcher
{
    private void HandleInit(IFuseReplySink sink, FuseInHeader header, ReadOnlySpan<byte> body)
    {
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

        // Passthrough only when backing files can be registered (a session's device, not a bare dispatcher), and never
        // with the writeback cache, with which the kernel silently refuses it.
        var wanted = _options.WantedFlags & ~FuseInitFlags.Passthrough;
        if (_options.Passthrough && _backingDevice is not null && (wanted & FuseInitFlags.WritebackCache) == 0)
        {
            wanted |= FuseInitFlags.Passthrough;
        }

        var granted = (FuseInitFlags)offered & wanted;
        var passthrough = (granted & FuseInitFlags.Passthrough) != 0;
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
            CongestionThreshold = _options.EffectiveCongestionThreshold,
            MaxWrite = _options.MaxWrite,
            TimeGran = 1,
            MaxPages = maxPages,

            // 7.40: the kernel enables passthrough only for a depth of 1 or 2; 0 (older daemons) means "not wanted".
            MaxStackDepth = passthrough ? FuseConstants.PassthroughMaxStackDepth : 0,
        };

        var connection = new FuseConnectionInfo
        {
            ProtocolMajor = FuseConstants.KernelMajor,
            ProtocolMinor = minor,
            Flags = granted,
            MaxReadSize = maxPages * 4096,
            MaxReadahead = input.MaxReadahead,
            MaxBackground = _options.MaxBackground,
            BackingFiles = passthrough ? new FuseBackingFiles(_backingDevice, _logger) : FuseBackingFiles.Unavailable,
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

    private void HandleForget(FuseInHeader header, ReadOnlySpan<byte> body) =>
        _fileSystem.Forget(new NodeId(header.NodeId), MemoryMarshal.Read<FuseForgetIn>(body).NLookup);

    private void HandleBatchForget(ReadOnlySpan<byte> body)
    {
        var count = MemoryMarshal.Read<FuseBatchForgetIn>(body).Count;
        var items = body[FuseBatchForgetIn.Size..];
        for (var i = 0; i < count && (i + 1) * FuseForgetOne.Size <= items.Length; i++)
        {
            var one = MemoryMarshal.Read<FuseForgetOne>(items[(i * FuseForgetOne.Size)..]);
            _fileSystem.Forget(new NodeId(one.NodeId), one.NLookup);
        }
    }

    // Best effort: cancel the target if it is still running; it is answered (EINTR) by its own handler. An INTERRUPT
    // that overtook its target is ignored, which is always correct (the target still replies).
    private void HandleInterrupt(ReadOnlySpan<byte> body) =>
        _interrupts.Interrupt(MemoryMarshal.Read<FuseInterruptIn>(body).Unique);
}
