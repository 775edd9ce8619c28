using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Testing.Fuse;

/// <summary>
/// The published `hcpmodelfs mount` running as its own process (see <see cref="NotifyingDaemon"/>). DisposeAsync always
/// stops it, unmounts whatever is left and checks the mount is gone.
/// </summary>
public sealed class ModelFsDaemon : IAsyncDisposable
{
    private readonly NotifyingDaemon _daemon;

    private ModelFsDaemon(NotifyingDaemon daemon, string mountPoint)
    {
        _daemon = daemon;
        MountPoint = mountPoint;
    }

    public DaemonProcess Process => _daemon.Process;

    public string MountPoint { get; }

    public static string Dll => NotifyingDaemon.Dll;

    public static async Task<ModelFsDaemon> StartAsync(string mountPoint, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string>? extraArguments = null)
    {
        try
        {
            return new ModelFsDaemon(await NotifyingDaemon.StartAsync(["mount", mountPoint, .. extraArguments ?? []], environment), mountPoint);
        }
        catch
        {
            await MountCleanup.EnsureUnmountedAsync(mountPoint);
            throw;
        }
    }

    public Task<int> StopAsync(TimeSpan timeout) => _daemon.StopAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _daemon.DisposeAsync();
        }
        finally
        {
            await MountCleanup.EnsureUnmountedAsync(MountPoint);
        }
    }
}
