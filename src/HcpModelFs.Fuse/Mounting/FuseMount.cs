using HcpModelFs.Fuse.Native;

namespace HcpModelFs.Fuse.Mounting;

/// <summary>A mounted filesystem: the /dev/fuse descriptor of the connection and where it is mounted.</summary>
public sealed class FuseMount : IDisposable
{
    internal FuseMount(FuseDevice device, string mountPoint, bool viaFusermount)
    {
        Device = device;
        MountPoint = mountPoint;
        ViaFusermount = viaFusermount;
    }

    public string MountPoint { get; }

    /// <summary>True when mounted by the setuid fusermount3 helper (unprivileged), false for mount(2).</summary>
    public bool ViaFusermount { get; }

    internal FuseDevice Device { get; }

    public void Dispose() => Device.Dispose();
}
