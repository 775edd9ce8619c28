using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Session;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Fuse.Native;

/// <summary>
/// One open file descriptor on /dev/fuse: the session's own or a clone (FUSE_DEV_IOC_CLONE). Replies must go
/// back on the descriptor their request was read from; each clone has its own table of requests in flight.
/// </summary>
internal sealed unsafe class FuseDevice : IFuseReplySink, IFuseBackingDevice, IDisposable
{
    private int _fd;

    public FuseDevice(int fd) => _fd = fd;

    public int Fd => _fd;

    public static FuseDevice OpenNew()
    {
        var fd = LibC.Open("/dev/fuse", LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = LibC.LastErrno();
            throw new FuseMountException(
                $"Cannot open /dev/fuse: {LibC.Describe(errno)}. Load the fuse module, or pass the device into the " +
                "container (--device /dev/fuse).");
        }

        return new FuseDevice(fd);
    }

    /// <summary>A new descriptor attached to the same connection, so a reader thread has its own queue of replies.</summary>
    public FuseDevice Clone()
    {
        var clone = OpenNew();
        uint source = (uint)_fd;
        if (LibC.IoCtl(clone._fd, FuseConstants.DevIocClone, &source) != 0)
        {
            var errno = LibC.LastErrno();
            clone.Dispose();
            throw new IOException($"FUSE_DEV_IOC_CLONE failed: {LibC.Describe(errno)}");
        }

        return clone;
    }

    public int BackingOpen(SafeFileHandle file)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var map = new FuseBackingMap { Fd = (int)file.DangerousGetHandle() };
            var id = LibC.IoCtl(_fd, FuseConstants.DevIocBackingOpen, &map);
            return id > 0 ? id : -(int)LibC.LastErrno();
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    public Errno BackingClose(int backingId)
    {
        var id = (uint)backingId;
        return LibC.IoCtl(_fd, FuseConstants.DevIocBackingClose, &id) == 0 ? Errno.Success : LibC.LastErrno();
    }

    /// <summary>Reads one whole request. Returns the byte count, or a negative errno.</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var n = LibC.Read(_fd, p, buffer.Length);
            return n >= 0 ? (int)n : -(int)LibC.LastErrno();
        }
    }

    public Errno Send(ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            var n = LibC.Write(_fd, p, message.Length);
            return n >= 0 ? Errno.Success : LibC.LastErrno();
        }
    }

    public Errno Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        fixed (byte* h = header)
        fixed (byte* p = payload)
        {
            var iov = stackalloc LibC.IoVec[2];
            iov[0] = new LibC.IoVec { Base = h, Length = (nuint)header.Length };
            iov[1] = new LibC.IoVec { Base = p, Length = (nuint)payload.Length };
            var n = LibC.WriteV(_fd, iov, payload.IsEmpty ? 1 : 2);
            return n >= 0 ? Errno.Success : LibC.LastErrno();
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = LibC.Close(fd);
        }
    }
}
