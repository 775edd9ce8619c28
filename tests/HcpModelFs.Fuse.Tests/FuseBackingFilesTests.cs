using HcpModelFs.Fuse.Session;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Fuse.Tests;

/// <summary>Registering backing files: ids pass through, EPERM (no CAP_SYS_ADMIN) turns passthrough off for good.</summary>
public sealed class FuseBackingFilesTests
{
    private static readonly SafeFileHandle File = new(42, ownsHandle: false);
    private readonly FakeBackingDevice _device = new();

    [Fact]
    public void Open_returns_the_kernels_backing_id_and_close_passes_it_back()
    {
        var backing = new FuseBackingFiles(_device, NullLogger.Instance);
        Assert.Equal(3, backing.Open(File).Value);
        Assert.Equal(Errno.Success, backing.Close(3));
        Assert.Equal(["open fd=42", "close 3"], _device.Calls);
        Assert.True(backing.IsAvailable);
    }

    [Fact]
    public void Eperm_is_reported_and_switches_passthrough_off_without_asking_the_kernel_again()
    {
        _device.NextResult = -(int)Errno.EPERM;
        var backing = new FuseBackingFiles(_device, NullLogger.Instance);
        Assert.Equal(Errno.EPERM, backing.Open(File).Error);
        Assert.False(backing.IsAvailable);
        Assert.Equal(Errno.EPERM, backing.Open(File).Error);
        Assert.Single(_device.Calls);
    }

    [Fact]
    public void Errors_of_one_file_are_returned_and_keep_passthrough_on()
    {
        _device.NextResult = -(int)Errno.ELOOP; // a backing file on overlayfs, deeper than max_stack_depth
        var backing = new FuseBackingFiles(_device, NullLogger.Instance);
        Assert.Equal(Errno.ELOOP, backing.Open(File).Error);
        Assert.True(backing.IsAvailable);
    }

    [Fact]
    public void Without_passthrough_open_and_close_are_enosys()
    {
        Assert.False(FuseBackingFiles.Unavailable.IsAvailable);
        Assert.Equal(Errno.ENOSYS, FuseBackingFiles.Unavailable.Open(File).Error);
        Assert.Equal(Errno.ENOSYS, FuseBackingFiles.Unavailable.Close(1));
    }
}
