using HcpModelFs.Testing.Processes;
using Xunit;

namespace HcpModelFs.Testing.Fuse;

/// <summary>
/// The FUSE test host copied where the unprivileged user <c>nobody</c> can run it (a checkout may be private), a mount
/// point nobody owns, and a way to run commands as nobody. Disposing unmounts whatever is left and deletes it all.
/// </summary>
public sealed class UnprivilegedHost : IAsyncDisposable
{
    private static readonly string[] AsNobody =
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1"];

    private UnprivilegedHost(string staging)
    {
        Staging = staging;
        MountPoint = Path.Combine(staging, "mnt");
        HostDirectory = Path.Combine(staging, "host");
    }

    /// <summary>A directory the test may add files to before <see cref="OpenToNobodyAsync"/>.</summary>
    public string Staging { get; }

    public string MountPoint { get; }

    private string HostDirectory { get; }

    public static UnprivilegedHost Create(string prefix)
    {
        // fusermount3 opens /dev/fuse as the calling user; Debian's udev rule makes it 0666, containers often do not.
        var mode = File.GetUnixFileMode("/dev/fuse");
        Assert.True(
            (mode & UnixFileMode.OtherRead) != 0 && (mode & UnixFileMode.OtherWrite) != 0,
            $"/dev/fuse is {mode}; unprivileged mounts need it 0666 (scripts/install-test-deps.sh sets it).");
        var host = new UnprivilegedHost(Directory.CreateTempSubdirectory(prefix).FullName);
        CopyDirectory(AppContext.BaseDirectory, host.HostDirectory);
        Directory.CreateDirectory(host.MountPoint);
        return host;
    }

    /// <summary>Makes everything under <see cref="Staging"/> readable by nobody and gives it the mount point.</summary>
    public async Task OpenToNobodyAsync()
    {
        var chown = await ProcessRunner.ShellAsync($"chmod -R a+rX '{Staging}' && chown nobody:nogroup '{MountPoint}'");
        Assert.True(chown.ExitCode == 0, chown.ToString());
    }

    /// <summary>Starts the test host as nobody with these arguments (mode, paths, options).</summary>
    public DaemonProcess Start(params string[] arguments) =>
        DaemonProcess.Start(AsNobody[0], [.. AsNobody[1..], "dotnet", Path.Combine(HostDirectory, "HcpModelFs.FuseTestHost.dll"), .. arguments]);

    public static Task<ProcessResult> RunAsNobodyAsync(TimeSpan timeout, params string[] command) =>
        ProcessRunner.RunAsync(AsNobody[0], [.. AsNobody[1..], .. command], timeout);

    public async ValueTask DisposeAsync()
    {
        await MountCleanup.EnsureUnmountedAsync(MountPoint);
        Directory.Delete(Staging, recursive: true);
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(dir, Path.Combine(destination, Path.GetFileName(dir)));
        }
    }
}
