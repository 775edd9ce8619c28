using System.Diagnostics;
using System.Globalization;
using System.Text;
using HcpModelFs.Fuse.Native;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Fuse.Mounting;

/*
 * Mounting. As root: mount(2) on a fresh /dev/fuse descriptor. Without the privilege (EPERM): the setuid helper
 * fusermount3, which mounts and hands the descriptor back over a socketpair (_FUSE_COMMFD, SCM_RIGHTS).
 * A mount point left behind by a daemon that died answers ENOTCONN; it is detached before mounting again.
 */
public static class FuseMounter
{
    private static readonly Lock SpawnLock = new();

    public static bool IsRoot => LibC.GetEUid() == 0;

    public static FuseMount Mount(string mountPoint, FuseMountOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        CleanStaleMount(target, options, logger);

        if (!Directory.Exists(target))
        {
            if (File.Exists(target) || !options.CreateMountPoint)
            {
                throw new FuseMountException($"Mount point {target} is not a directory.");
            }

            Directory.CreateDirectory(target);
        }

        if (!options.ForceFusermount && IsRoot)
        {
            var device = FuseDevice.OpenNew();
            var result = TryMountSyscall(device, target, options);
            if (result == Errno.Success)
            {
                LogMessages.Mounted(logger, target, "mount(2)");
                return new FuseMount(device, target, viaFusermount: false);
            }

            device.Dispose();
            if (result != Errno.EPERM)
            {
                throw new FuseMountException($"mount({target}) failed: {LibC.Describe(result)}");
            }
        }

        var fusermountDevice = MountWithFusermount(target, options);
        LogMessages.Mounted(logger, target, "fusermount3");
        return new FuseMount(fusermountDevice, target, viaFusermount: true);
    }

    /// <summary>
    /// Unmounts: <see cref="UnmountOutcome.Unmounted"/>, or <see cref="UnmountOutcome.Detached"/> when busy and
    /// <paramref name="lazyIfBusy"/>, or <see cref="UnmountOutcome.Failed"/> when it stays mounted.
    /// </summary>
    public static UnmountOutcome Unmount(string mountPoint, bool viaFusermount, bool lazyIfBusy, ILogger logger)
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        if (!viaFusermount && IsRoot)
        {
            if (LibC.Umount2(target, 0) == 0)
            {
                LogMessages.Unmounted(logger, target);
                return UnmountOutcome.Unmounted;
            }

            var errno = LibC.LastErrno();
            if (errno == Errno.EINVAL && MountTable.Find(target) is null)
            {
                return UnmountOutcome.Unmounted; // Not mounted (any more).
            }

            if (errno == Errno.EBUSY && lazyIfBusy && LibC.Umount2(target, LibC.MNT_DETACH) == 0)
            {
                LogMessages.UnmountedLazily(logger, target);
                return UnmountOutcome.Detached;
            }

            if (errno != Errno.EPERM)
            {
                LogMessages.UnmountFailed(logger, target, LibC.Describe(errno));
                return UnmountOutcome.Failed;
            }
        }

        var (code, error) = RunFusermount(["-u", "-q", "--", target]);
        if (code == 0)
        {
            LogMessages.Unmounted(logger, target);
            return UnmountOutcome.Unmounted;
        }

        if (lazyIfBusy)
        {
            (code, error) = RunFusermount(["-u", "-z", "-q", "--", target]);
            if (code == 0)
            {
                LogMessages.UnmountedLazily(logger, target);
                return UnmountOutcome.Detached;
            }
        }

        LogMessages.UnmountFailed(logger, target, error.Trim());
        return UnmountOutcome.Failed;
    }

    /// <summary>
    /// Probes a mount point the way a health check should: statx forcing a GETATTR (a cached dentry of a dead mount
    /// would otherwise look fine). Returns Success, or the errno (ENOTCONN for a daemon that died).
    /// </summary>
    public static unsafe Errno Probe(string path)
    {
        var buffer = stackalloc byte[256];
        return LibC.Statx(LibC.AT_FDCWD, path, LibC.AT_STATX_FORCE_SYNC, LibC.STATX_BASIC_STATS, buffer) == 0
            ? Errno.Success
            : LibC.LastErrno();
    }

    private static void CleanStaleMount(string target, FuseMountOptions options, ILogger logger)
    {
        var existing = MountTable.Find(target);
        if (existing is null || !MountTable.IsFuse(existing))
        {
            return;
        }

        var probe = Probe(target);
        if (probe == Errno.Success)
        {
            throw new FuseMountException($"{target} is already mounted by a running FUSE daemon ({existing.FileSystemType}).");
        }

        if (probe is not (Errno.ENOTCONN or Errno.ECONNABORTED or Errno.EIO))
        {
            throw new FuseMountException($"{target} is a FUSE mount that cannot be probed: {LibC.Describe(probe)}");
        }

        // The daemon behind it is gone; detach the corpse so we can mount over the same path.
        var viaFusermount = options.ForceFusermount || !IsRoot;
        if (Unmount(target, viaFusermount, lazyIfBusy: true, logger) == UnmountOutcome.Failed)
        {
            throw new FuseMountException($"{target} is a stale FUSE mount ({LibC.Describe(probe)}) and could not be unmounted.");
        }

        LogMessages.StaleMountCleaned(logger, target, probe);
    }

    private static Errno TryMountSyscall(FuseDevice device, string target, FuseMountOptions options)
    {
        var data = new StringBuilder();
        data.Append(CultureInfo.InvariantCulture, $"fd={device.Fd},rootmode=40000,user_id={LibC.GetEUid()},group_id={LibC.GetEGid()}");
        if (options.AllowOther)
        {
            data.Append(",allow_other");
        }

        if (options.DefaultPermissions)
        {
            data.Append(",default_permissions");
        }

        const ulong flags = LibC.MS_RDONLY | LibC.MS_NOSUID | LibC.MS_NODEV;
        if (LibC.Mount(options.FsName, target, "fuse." + options.Subtype, flags, data.ToString()) == 0)
        {
            return Errno.Success;
        }

        var errno = LibC.LastErrno();
        if (errno == Errno.ENODEV)
        {
            // Kernels without subtype support only know "fuse".
            return LibC.Mount(options.FsName, target, "fuse", flags, data.ToString()) == 0 ? Errno.Success : LibC.LastErrno();
        }

        return errno;
    }

    private static unsafe FuseDevice MountWithFusermount(string target, FuseMountOptions options)
    {
        var fds = stackalloc int[2];
        // No SOCK_CLOEXEC: fds[0] must be inherited by the helper. Ours (fds[1]) gets FD_CLOEXEC straight away.
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM, 0, fds) != 0)
        {
            throw new FuseMountException($"socketpair failed: {LibC.Describe(LibC.LastErrno())}");
        }

        try
        {
            _ = LibC.FCntl(fds[1], LibC.F_SETFD, LibC.FD_CLOEXEC);
            var mountOptions = new StringBuilder("ro,nosuid,nodev");
            mountOptions.Append(",fsname=").Append(options.FsName).Append(",subtype=").Append(options.Subtype);
            if (options.AllowOther)
            {
                mountOptions.Append(",allow_other");
            }

            if (options.DefaultPermissions)
            {
                mountOptions.Append(",default_permissions");
            }

            var start = new ProcessStartInfo(options.FusermountPath)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add(mountOptions.ToString());
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(target);
            start.Environment["_FUSE_COMMFD"] = fds[0].ToString(CultureInfo.InvariantCulture);

            Process process;
            // Serialised so that no other child started meanwhile inherits the helper's end of the socket.
            lock (SpawnLock)
            {
                try
                {
                    process = Process.Start(start) ?? throw new FuseMountException("fusermount3 did not start.");
                }
                catch (System.ComponentModel.Win32Exception ex)
                {
                    throw new FuseMountException($"Cannot run {options.FusermountPath}: {ex.Message}. Install fuse3.", ex);
                }
                finally
                {
                    _ = LibC.Close(fds[0]);
                    fds[0] = -1;
                }
            }

            using (process)
            {
                var fd = ReceiveFd(fds[1]);
                var stderr = process.StandardError.ReadToEnd();
                if (!process.WaitForExit(30_000))
                {
                    process.Kill();
                }

                if (fd < 0 || process.ExitCode != 0)
                {
                    if (fd >= 0)
                    {
                        _ = LibC.Close(fd);
                    }

                    throw new FuseMountException($"fusermount3 could not mount {target}: {stderr.Trim()} (exit {process.ExitCode})");
                }

                _ = LibC.FCntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC);
                return new FuseDevice(fd);
            }
        }
        finally
        {
            if (fds[0] >= 0)
            {
                _ = LibC.Close(fds[0]);
            }

            _ = LibC.Close(fds[1]);
        }
    }

    /// <summary>Receives one descriptor sent with SCM_RIGHTS; -1 when the helper closed the socket without sending.</summary>
    private static unsafe int ReceiveFd(int socket)
    {
        const int SolSocket = 1;
        const int ScmRights = 1;
        byte data = 0;
        var control = stackalloc byte[24]; // CMSG_SPACE(sizeof(int))
        var iov = new LibC.IoVec { Base = &data, Length = 1 };
        var message = new LibC.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 24 };
        nint received;
        do
        {
            received = LibC.RecvMsg(socket, &message, 0);
        }
        while (received < 0 && LibC.LastErrno() == Errno.EINTR);

        if (received <= 0 || message.ControlLen < 20)
        {
            return -1;
        }

        var level = *(int*)(control + 8);
        var type = *(int*)(control + 12);
        return level == SolSocket && type == ScmRights ? *(int*)(control + 16) : -1;
    }

    private static (int ExitCode, string Error) RunFusermount(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("fusermount3") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                return (-1, "fusermount3 timed out");
            }

            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"cannot run fusermount3: {ex.Message}");
        }
    }

    internal static string? ConnectionId(MountInfoEntry entry) =>
        // fusectl names a connection by the superblock's dev_t: (major << 20) | minor; FUSE uses major 0.
        ((entry.Major << 20) | entry.Minor).ToString(CultureInfo.InvariantCulture);
}
