using HcpModelFs.Fuse.Mounting;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Testing.Fuse;

/// <summary>
/// The last line of defence against stuck mounts: whatever happened in a test, the mount point is unmounted
/// (lazily if need be) and checked gone from /proc/self/mountinfo.
/// </summary>
public static class MountCleanup
{
    public static bool IsMounted(string mountPoint) => MountTable.Find(mountPoint) is not null;

    /// <summary>Unmounts if still mounted and throws if the mount cannot be removed.</summary>
    public static async Task EnsureUnmountedAsync(string mountPoint)
    {
        if (!IsMounted(mountPoint))
        {
            return;
        }

        await ProcessRunner.RunAsync("fusermount3", ["-u", "-z", "-q", "--", mountPoint], TimeSpan.FromSeconds(30));
        if (IsMounted(mountPoint))
        {
            await ProcessRunner.RunAsync("umount", ["-l", mountPoint], TimeSpan.FromSeconds(30));
        }

        if (IsMounted(mountPoint))
        {
            throw new InvalidOperationException($"{mountPoint} is still mounted after cleanup: a leaked mount.");
        }
    }
}
