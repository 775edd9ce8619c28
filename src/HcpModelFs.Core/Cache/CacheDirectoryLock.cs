using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// The exclusive claim of one process on a cache directory: an flock(2) on <c>&lt;dir&gt;/lock</c>, held for the
/// process's life. Two daemons writing one cache would evict each other's files and corrupt the ledger, so the second
/// one refuses at start. The kernel drops an flock when its holder dies, even by SIGKILL, so a stale lock never blocks.
/// </summary>
/// <remarks>
/// .NET's FileShare.None already takes flock(LOCK_EX | LOCK_NB) on open; it is taken explicitly as well because
/// DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns the runtime's lock off. The holder's pid goes into a separate file (<c>lock.owner</c>) because .NET takes a shared flock when it
/// opens a file for reading, which the holder's exclusive lock would refuse.
/// </remarks>
public sealed partial class CacheDirectoryLock : IDisposable
{
    public const string LockFileName = "lock";
    public const string OwnerFileName = "lock.owner";
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int EWouldBlock = 11;

    private readonly SafeFileHandle _handle;

    private CacheDirectoryLock(string directory, SafeFileHandle handle)
    {
        Directory = directory;
        _handle = handle;
    }

    /// <summary>The cache directory this lock holds (absolute).</summary>
    public string Directory { get; }

    /// <summary>
    /// Takes the lock on <paramref name="directory"/> (creating the directory and lock file) or returns null when another
    /// process holds it; <paramref name="holderPid"/> is then the pid it recorded, when it did.
    /// </summary>
    public static CacheDirectoryLock? TryAcquire(string directory, out int? holderPid)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(root);
        holderPid = null;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(Path.Combine(root, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex.HResult == EWouldBlock)
        {
            // FileShare.None is .NET's own flock(LOCK_EX | LOCK_NB): it met the holder's lock (raw errno EWOULDBLOCK).
            holderPid = ReadHolderPid(root);
            return null;
        }

        if (Flock(handle, LockExclusive | LockNonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            if (errno != EWouldBlock)
            {
                throw new IOException($"Cannot lock the cache directory {root} (errno {errno}).");
            }

            holderPid = ReadHolderPid(root);
            return null;
        }

        File.WriteAllText(Path.Combine(root, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new CacheDirectoryLock(root, handle);
    }

    /// <summary>The pid the current holder recorded, or null.</summary>
    public static int? ReadHolderPid(string directory)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(Path.GetFullPath(directory), OwnerFileName)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One line for a refusal: which directory, and who holds it when known.</summary>
    public static string DescribeHeld(string directory, int? holderPid) =>
        $"the cache directory {Path.GetFullPath(directory)} is in use by another hcpmodelfs process" +
        (holderPid is { } pid ? string.Create(CultureInfo.InvariantCulture, $" (pid {pid})") : string.Empty);

    public void Dispose()
    {
        // The owner file is left: a reader only trusts it while the lock is held, and deleting it here could race a
        // successor that already wrote its own pid.
        _handle.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
