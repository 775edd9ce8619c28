using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Testing.Http;

/// <summary>
/// The published `hcpmodelfs serve --listen 127.0.0.1:0` (or `mount MNT --serve 127.0.0.1:0`) as its own process.
/// Readiness and the bound address both come from the systemd notify datagram (READY=1, STATUS=serving ... URL), so
/// no port is guessed. DisposeAsync always stops it and, for a mount, checks the mount is gone.
/// </summary>
public sealed class HubEndpointDaemon : IAsyncDisposable
{
    private readonly NotifyingDaemon _daemon;

    private HubEndpointDaemon(NotifyingDaemon daemon, string? mountPoint, Uri address)
    {
        _daemon = daemon;
        MountPoint = mountPoint;
        Address = address;
    }

    public DaemonProcess Process => _daemon.Process;

    /// <summary>Set for `mount --serve`.</summary>
    public string? MountPoint { get; }

    /// <summary>The endpoint, e.g. http://127.0.0.1:41234/ (what clients use as HF_ENDPOINT / hubUrl).</summary>
    public Uri Address { get; }

    public string HubUrl => Address.AbsoluteUri.TrimEnd('/');

    public static async Task<HubEndpointDaemon> StartAsync(IReadOnlyDictionary<string, string> environment, string? mountPoint = null)
    {
        string[] args = mountPoint is null
            ? ["serve", "--listen", "127.0.0.1:0"]
            : ["mount", mountPoint, "--serve", "127.0.0.1:0"];
        NotifyingDaemon? daemon = null;
        try
        {
            daemon = await NotifyingDaemon.StartAsync(args, environment);
            var status = daemon.ReadyLines.FirstOrDefault(l => l.StartsWith("STATUS=", StringComparison.Ordinal)) ?? string.Empty;
            var url = status.Split(' ').LastOrDefault(w => w.StartsWith("http://", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"READY=1 without an http:// address in '{status}'");
            return new HubEndpointDaemon(daemon, mountPoint, new Uri(url));
        }
        catch
        {
            if (daemon is not null)
            {
                await daemon.DisposeAsync();
            }

            if (mountPoint is not null)
            {
                await MountCleanup.EnsureUnmountedAsync(mountPoint);
            }

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
            if (MountPoint is not null)
            {
                await MountCleanup.EnsureUnmountedAsync(MountPoint);
            }
        }
    }
}
