using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Testing.Fuse;

/// <summary>
/// The test daemon (HcpModelFs.FuseTestHost) serving a filesystem at a fresh temporary mount point, in its own
/// process so the tests drive the mount from other processes, as users do. DisposeAsync always stops the daemon,
/// unmounts whatever is left and asserts the mount is gone from /proc/self/mountinfo.
/// </summary>
public sealed class FuseTestMount : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly bool _ownsDirectory;

    private FuseTestMount(DaemonProcess daemon, string mountPoint, bool ownsDirectory, int maxReadSize)
    {
        Daemon = daemon;
        MountPoint = mountPoint;
        _ownsDirectory = ownsDirectory;
        MaxReadSize = maxReadSize;
    }

    public DaemonProcess Daemon { get; private set; }

    public string MountPoint { get; }

    /// <summary>The READ size the kernel granted (max_pages x 4 KiB), as the daemon reported it.</summary>
    public int MaxReadSize { get; }

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "HcpModelFs.FuseTestHost.dll");

    /// <summary>Starts <c>FuseTestHost synthetic MNT</c> (or loopback, per <paramref name="modeArguments"/>) and waits for READY.</summary>
    public static async Task<FuseTestMount> StartAsync(IReadOnlyList<string> modeArguments, string? mountPoint = null, IReadOnlyList<string>? prefix = null)
    {
        var ownsDirectory = mountPoint is null;
        mountPoint ??= Directory.CreateTempSubdirectory("hcpfs-mnt-").FullName;
        var daemon = StartDaemon(modeArguments, mountPoint, prefix);
        try
        {
            var ready = await daemon.WaitForLineAsync("READY", StartTimeout);
            return new FuseTestMount(daemon, mountPoint, ownsDirectory, int.Parse(ready.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            await daemon.DisposeAsync();
            await MountCleanup.EnsureUnmountedAsync(mountPoint);
            throw;
        }
    }

    public static DaemonProcess StartDaemon(IReadOnlyList<string> modeArguments, string mountPoint, IReadOnlyList<string>? prefix = null)
    {
        if (!File.Exists(HostDll))
        {
            throw new InvalidOperationException($"Test daemon not built: {HostDll}");
        }

        // modeArguments: ["synthetic"] or ["loopback", SOURCE]; the mount point goes right after them.
        var arguments = new List<string>(prefix ?? []);
        var hostArguments = new List<string> { "dotnet", HostDll };
        hostArguments.AddRange(modeArguments.Take(modeArguments[0] == "loopback" ? 2 : 1));
        hostArguments.Add(mountPoint);
        hostArguments.AddRange(modeArguments.Skip(modeArguments[0] == "loopback" ? 2 : 1));
        arguments.AddRange(hostArguments);
        return DaemonProcess.Start(arguments[0], arguments.Skip(1).ToArray());
    }

    /// <summary>SIGTERM, then wait for a clean exit. Returns the exit code (or -1 if it had to be killed).</summary>
    public Task<int> StopAsync(TimeSpan timeout) => Daemon.StopAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Daemon.HasExited)
            {
                await StopAsync(TimeSpan.FromSeconds(20));
            }

            await Daemon.DisposeAsync();
        }
        finally
        {
            await MountCleanup.EnsureUnmountedAsync(MountPoint);
            if (_ownsDirectory)
            {
                try
                {
                    Directory.Delete(MountPoint);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
