using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Fuse.Session;

/// <summary>
/// <see cref="IFuseBackingFiles"/> over the session's /dev/fuse descriptor. EPERM is about the daemon's privileges, not
/// about one file, so the first one switches passthrough off for the connection (logged once); other errors are the
/// file's and are only returned.
/// </summary>
internal sealed class FuseBackingFiles : IFuseBackingFiles
{
    private readonly IFuseBackingDevice? _device;
    private readonly ILogger _logger;
    private int _refused;

    public FuseBackingFiles(IFuseBackingDevice? device, ILogger logger)
    {
        _device = device;
        _logger = logger;
    }

    /// <summary>For connections without passthrough: never available, Open is ENOSYS.</summary>
    public static IFuseBackingFiles Unavailable { get; } = new FuseBackingFiles(null, NullLogger.Instance);

    public bool IsAvailable => _device is not null && Volatile.Read(ref _refused) == 0;

    public FuseResult<int> Open(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (_device is null)
        {
            return Errno.ENOSYS;
        }

        if (Volatile.Read(ref _refused) != 0)
        {
            return Errno.EPERM;
        }

        var id = _device.BackingOpen(file);
        if (id > 0)
        {
            return id;
        }

        var error = (Errno)(-id);
        if (error == Errno.EPERM && Interlocked.Exchange(ref _refused, 1) == 0)
        {
            LogMessages.PassthroughRefused(_logger, error);
        }

        return error;
    }

    public Errno Close(int backingId) => _device is null ? Errno.ENOSYS : _device.BackingClose(backingId);
}
