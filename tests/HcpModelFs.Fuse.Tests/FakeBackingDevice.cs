using HcpModelFs.Fuse.Session;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Fuse.Tests;

/// <summary>Stands in for the passthrough ioctls of /dev/fuse: answers with a fixed id or a fixed errno.</summary>
internal sealed class FakeBackingDevice : IFuseBackingDevice
{
    public int NextResult { get; set; } = 3;

    public List<string> Calls { get; } = [];

    public int BackingOpen(SafeFileHandle file)
    {
        Calls.Add($"open fd={file.DangerousGetHandle()}");
        return NextResult;
    }

    public Errno BackingClose(int backingId)
    {
        Calls.Add($"close {backingId}");
        return Errno.Success;
    }
}
