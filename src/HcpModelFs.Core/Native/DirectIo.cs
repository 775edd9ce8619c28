using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Native;

/// <summary>
/// O_DIRECT for cache I/O of whole blocks. On small VMs a page-cache fill costs more CPU than the copy itself (measured here: 1 GiB
/// of buffered 8 MiB writes 1.58 s of system time, with O_DIRECT 0.10 s), and a block just fetched is served to its
/// readers from memory anyway, so writing it around the page cache is pure gain. .NET has no FileOptions for it.
/// </summary>
internal static partial class DirectIo
{
    /// <summary>O_DIRECT buffers, offsets and lengths must be multiples of this (the logical block size of any disk we meet).</summary>
    public const int Alignment = 4096;

    private const int F_GETFL = 3;
    private const int F_SETFL = 4;

    private static int ODirect => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    /// <summary>
    /// A second handle on <paramref name="path"/> for aligned direct reads and writes, or null where the file system refuses
    /// O_DIRECT (tmpfs before 6.6, some FUSE and network file systems): callers then write through the page cache.
    /// </summary>
    public static SafeFileHandle? TryOpenDirect(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var fd = (int)handle.DangerousGetHandle();
        var flags = Fcntl(fd, F_GETFL, 0);
        if (flags < 0 || Fcntl(fd, F_SETFL, flags | ODirect) < 0)
        {
            handle.Dispose();
            return null;
        }

        return handle;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
