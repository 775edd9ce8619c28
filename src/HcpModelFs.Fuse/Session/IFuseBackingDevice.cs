using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Fuse.Session;

/// <summary>The two passthrough ioctls of /dev/fuse, behind a seam so the dispatcher is tested without a kernel.</summary>
internal interface IFuseBackingDevice
{
    /// <summary>FUSE_DEV_IOC_BACKING_OPEN: the backing id (&gt; 0), or a negative errno.</summary>
    int BackingOpen(SafeFileHandle file);

    /// <summary>FUSE_DEV_IOC_BACKING_CLOSE.</summary>
    Errno BackingClose(int backingId);
}
