using Microsoft.Extensions.Logging;

namespace HcpModelFs.Fuse;

/// <summary>Every log event of the FUSE layer, with stable event ids (1000-1099).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1000, LogLevel.Information, "FUSE session initialised: protocol {Major}.{Minor}, flags 0x{Flags:x}, max read {MaxRead} bytes, max background {MaxBackground}")]
    public static partial void Initialized(ILogger logger, uint major, uint minor, ulong flags, int maxRead, ushort maxBackground);

    [LoggerMessage(1001, LogLevel.Error, "FUSE handler for {Opcode} (unique {Unique}, node {Node}) failed; replied EIO")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string opcode, ulong unique, ulong node);

    [LoggerMessage(1002, LogLevel.Error, "FUSE handler for {Opcode} (unique {Unique}, node {Node}) returned without replying; replied EIO")]
    public static partial void NotReplied(ILogger logger, string opcode, ulong unique, ulong node);

    [LoggerMessage(1003, LogLevel.Error, "The kernel rejected our reply to {Opcode} (unique {Unique}): {Errno}. This is a bug in the daemon.")]
    public static partial void ReplyRejected(ILogger logger, string opcode, ulong unique, Errno errno);

    [LoggerMessage(1004, LogLevel.Warning, "{FileSystem} does not implement {Operation}; answering ENOSYS")]
    public static partial void NotImplemented(ILogger logger, string fileSystem, string operation);

    [LoggerMessage(1005, LogLevel.Information, "Raised read_ahead_kb of {Bdi} to {Kb}")]
    public static partial void ReadAheadRaised(ILogger logger, string bdi, int kb);

    [LoggerMessage(1006, LogLevel.Warning, "Could not raise read_ahead_kb of {Bdi}: {Reason}. READs stay at the kernel default (128 KiB).")]
    public static partial void ReadAheadNotRaised(ILogger logger, string bdi, string reason);

    [LoggerMessage(1007, LogLevel.Error, "FUSE reader {Reader} stopped on an unexpected error: {Errno}")]
    public static partial void ReaderFailed(ILogger logger, int reader, Errno errno);

    [LoggerMessage(1008, LogLevel.Information, "Mounted {MountPoint} ({Method})")]
    public static partial void Mounted(ILogger logger, string mountPoint, string method);

    [LoggerMessage(1009, LogLevel.Information, "Unmounted {MountPoint}")]
    public static partial void Unmounted(ILogger logger, string mountPoint);

    [LoggerMessage(1010, LogLevel.Warning, "{MountPoint} is busy; detached it lazily (the kernel finishes it when the last open file closes)")]
    public static partial void UnmountedLazily(ILogger logger, string mountPoint);

    [LoggerMessage(1011, LogLevel.Warning, "Cleaned up a stale mount at {MountPoint} left by a daemon that died ({Errno})")]
    public static partial void StaleMountCleaned(ILogger logger, string mountPoint, Errno errno);

    [LoggerMessage(1012, LogLevel.Warning, "Aborted FUSE connection {Connection} so that blocked readers end")]
    public static partial void ConnectionAborted(ILogger logger, string connection);

    [LoggerMessage(1013, LogLevel.Error, "Unmounting {MountPoint} failed: {Reason}")]
    public static partial void UnmountFailed(ILogger logger, string mountPoint, string reason);

    [LoggerMessage(1014, LogLevel.Warning, "Unexpected first request {Opcode} before INIT; answering EIO")]
    public static partial void RequestBeforeInit(ILogger logger, string opcode);

    [LoggerMessage(1015, LogLevel.Warning, "The kernel refused FUSE passthrough ({Errno}): registering backing files needs CAP_SYS_ADMIN in the initial user namespace. Files are served through READs.")]
    public static partial void PassthroughRefused(ILogger logger, Errno errno);

    [LoggerMessage(1016, LogLevel.Information, "FUSE requests served on {MountPoint}: {Counts}")]
    public static partial void RequestsServed(ILogger logger, string mountPoint, string counts);
}
