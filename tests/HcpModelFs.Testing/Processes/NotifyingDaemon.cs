using System.Net.Sockets;
using System.Text;

namespace HcpModelFs.Testing.Processes;

/// <summary>
/// The published `hcpmodelfs` run as systemd runs it: readiness is the READY=1 datagram on $NOTIFY_SOCKET (its lines
/// are kept: STATUS= says what is served where). DisposeAsync always stops the process (SIGTERM, then kill).
/// </summary>
public sealed class NotifyingDaemon : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Socket _notify;
    private readonly string _socketPath;

    private NotifyingDaemon(DaemonProcess process, Socket notify, string socketPath)
    {
        Process = process;
        _notify = notify;
        _socketPath = socketPath;
    }

    public DaemonProcess Process { get; }

    /// <summary>The lines of the datagram that said READY=1.</summary>
    public IReadOnlyList<string> ReadyLines { get; private set; } = [];

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "hcpmodelfs.dll");

    /// <summary>Starts `dotnet hcpmodelfs.dll ARGUMENTS` and waits (bounded) for READY=1; stops it if that fails.</summary>
    public static async Task<NotifyingDaemon> StartAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
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
        // Daemons under test do not compete for the default metrics port 9464; tests of the endpoint ask for one.
        env.TryAdd("HCPMODELFS_METRICS_LISTEN", "off");
        var daemon = new NotifyingDaemon(DaemonProcess.Start("dotnet", [Dll, .. arguments], env), notify, socketPath);
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
        }
    }

    /// <summary>
    /// Waits (bounded) for the next datagram holding the line <paramref name="line"/> (e.g. STOPPING=1) and returns
    /// its lines; a datagram sent just before the process exited is still received.
    /// </summary>
    public Task<string[]> WaitForNotificationAsync(string line, TimeSpan timeout) => ReceiveUntilAsync(line, timeout);

    private async Task WaitReadyAsync() => ReadyLines = await ReceiveUntilAsync("READY=1", StartTimeout);

    private async Task<string[]> ReceiveUntilAsync(string wanted, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        var exited = Process.WaitForExitAsync(timeout);
        while (true)
        {
            var receive = _notify.ReceiveAsync(buffer, SocketFlags.None, cts.Token).AsTask();
            if (await Task.WhenAny(receive, exited) == exited && Process.HasExited && !receive.IsCompleted && _notify.Available == 0)
            {
                throw new InvalidOperationException($"hcpmodelfs exited ({Process.ExitCode}) before {wanted}.\nstderr:\n{Process.StandardError}");
            }

            int n;
            try
            {
                n = await receive;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"hcpmodelfs did not report {wanted} within {timeout}.\nstderr:\n{Process.StandardError}");
            }

            var lines = Encoding.UTF8.GetString(buffer, 0, n).Split('\n');
            if (lines.Contains(wanted))
            {
                return lines;
            }
        }
    }
}
