using System.Runtime.InteropServices;

namespace HcpModelFs.Fuse.Native;

/// <summary>
/// The only P/Invoke surface of the project. Thin wrappers over glibc; callers read errno through
/// <see cref="Marshal.GetLastPInvokeError"/>. Variadic functions (ioctl, fcntl) are declared with their one
/// argument: on x86_64 and arm64 glibc reads it from the same register either way.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0;
    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;
    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int MNT_FORCE = 1;
    public const int MNT_DETACH = 2;
    public const ulong MS_RDONLY = 0x1;
    public const ulong MS_NOSUID = 0x2;
    public const ulong MS_NODEV = 0x4;
    public const int AT_FDCWD = -100;
    public const int AT_STATX_FORCE_SYNC = 0x2000;
    public const uint STATX_BASIC_STATS = 0x7ff;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    public static partial nint WriteV(int fd, IoVec* iov, int iovcnt);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoCtl(int fd, ulong request, void* argument);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int FCntl(int fd, int command, int argument);

    [LibraryImport(Lib, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport(Lib, EntryPoint = "getegid")]
    public static partial uint GetEGid();

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public void* Iov;
        public nuint IovLen;
        public void* Control;
        public nuint ControlLen;
        public int Flags;
    }

    public static Errno LastErrno() => (Errno)Marshal.GetLastPInvokeError();

    public static string Describe(Errno errno) => $"{errno} ({Marshal.GetPInvokeErrorMessage((int)errno)})";
}
