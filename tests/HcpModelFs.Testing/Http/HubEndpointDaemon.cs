using System.Net.Sockets;
using System.Text;
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
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Socket _notify;
    private readonly string _socketPath;

    private HubEndpointDaemon(DaemonProcess process, string? mountPoint, Socket notify, string socketPath)
    {
        Process = process;
        MountPoint = mountPoint;
        _notify = notify;
        _socketPath = socketPath;
    }

    public DaemonProcess Process { get; }

    /// <summary>Set for `mount --serve`.</summary>
    public string? MountPoint { get; }

    /// <summary>The endpoint, e.g. http://127.0.0.1:41234/ (what clients use as HF_ENDPOINT / hubUrl).</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    public string HubUrl => Address.AbsoluteUri.TrimEnd('/');

    public static async Task<HubEndpointDaemon> StartAsync(IReadOnlyDictionary<string, string> environment, string? mountPoint = null)
    {
        var socketPath = Path.Combine(Path.GetTempPath(), $"hcpfs-notify-{Guid.NewGuid():N}.sock");
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var env = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["NOTIFY_SOCKET"] = socketPath,
            ["HCPMODELFS_LOG_FORMAT"] = "text",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        string[] args = mountPoint is null
            ? [ModelFsDaemon.Dll, "serve", "--listen", "127.0.0.1:0"]
            : [ModelFsDaemon.Dll, "mount", mountPoint, "--serve", "127.0.0.1:0"];
        var process = DaemonProcess.Start("dotnet", args, env);
        var daemon = new HubEndpointDaemon(process, mountPoint, notify, socketPath);
        try
        {
            await daemon.WaitReadyAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    public Task<int> StopAsync(TimeSpan timeout) => Process.StopAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                await StopAsync(TimeSpan.FromSeconds(30));
            }

            await Process.DisposeAsync();
        }
        finally
        {
            _notify.Dispose();
            File.Delete(_socketPath);
            if (MountPoint is not null)
            {
                await MountCleanup.EnsureUnmountedAsync(MountPoint);
            }
        }
    }

    private async Task WaitReadyAsync()
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(StartTimeout);
        var exited = Process.WaitForExitAsync(StartTimeout);
        while (true)
        {
            var receive = _notify.ReceiveAsync(buffer, SocketFlags.None, cts.Token).AsTask();
            if (await Task.WhenAny(receive, exited) == exited)
            {
                throw new InvalidOperationException($"hcpmodelfs exited ({(Process.HasExited ? Process.ExitCode : -1)}) before READY=1.\nstderr:\n{Process.StandardError}");
            }

            int n;
            try
            {
                n = await receive;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"hcpmodelfs did not report READY=1 within {StartTimeout}.\nstderr:\n{Process.StandardError}");
            }

            var lines = Encoding.UTF8.GetString(buffer, 0, n).Split('\n');
            if (!lines.Contains("READY=1"))
            {
                continue;
            }

            var status = lines.FirstOrDefault(l => l.StartsWith("STATUS=", StringComparison.Ordinal)) ?? string.Empty;
            var url = status.Split(' ').LastOrDefault(w => w.StartsWith("http://", StringComparison.Ordinal));
            Address = url is not null
                ? new Uri(url)
                : throw new InvalidOperationException($"READY=1 without an http:// address in '{status}'");
            return;
        }
    }
}
