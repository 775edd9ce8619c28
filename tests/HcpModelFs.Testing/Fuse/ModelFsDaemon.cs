using System.Net.Sockets;
using System.Text;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Testing.Fuse;

/// <summary>
/// The published `hcpmodelfs mount` running as its own process, as systemd runs it: readiness is the READY=1
/// datagram on $NOTIFY_SOCKET. DisposeAsync always stops it (SIGTERM, then kill), unmounts whatever is left and checks
/// the mount is gone.
/// </summary>
public sealed class ModelFsDaemon : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Socket _notify;
    private readonly string _socketPath;

    private ModelFsDaemon(DaemonProcess process, string mountPoint, Socket notify, string socketPath)
    {
        Process = process;
        MountPoint = mountPoint;
        _notify = notify;
        _socketPath = socketPath;
    }

    public DaemonProcess Process { get; }

    public string MountPoint { get; }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "hcpmodelfs.dll");

    public static async Task<ModelFsDaemon> StartAsync(string mountPoint, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string>? extraArguments = null)
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
        var process = DaemonProcess.Start("dotnet", [Dll, "mount", mountPoint, .. extraArguments ?? []], env);
        var daemon = new ModelFsDaemon(process, mountPoint, notify, socketPath);
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
            await MountCleanup.EnsureUnmountedAsync(MountPoint);
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
            var first = await Task.WhenAny(receive, exited);
            if (first == exited)
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

            if (Encoding.UTF8.GetString(buffer, 0, n).Split('\n').Contains("READY=1"))
            {
                return;
            }
        }
    }
}
