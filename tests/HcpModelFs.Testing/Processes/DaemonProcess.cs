using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using HcpModelFs.Testing.Secrets;

namespace HcpModelFs.Testing.Processes;

/// <summary>
/// A long-running child process whose stdout lines can be awaited ("READY", "STALL ..."), with its stderr kept so
/// a failing test can show the daemon's log. Disposing kills it if it is still running, then checks everything it
/// printed for the run's secrets (<see cref="SecretScanner"/>) and throws <see cref="SecretLeakException"/> on a hit.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private readonly string _description;

    private DaemonProcess(Process process, string description)
    {
        _process = process;
        _description = description;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public static DaemonProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = new Process { StartInfo = ProcessRunner.CreateStartInfo(fileName, arguments, environment), EnableRaisingEvents = true };
        var daemon = new DaemonProcess(process, SecretScanner.Mask(string.Join(' ', [fileName, .. arguments])));
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                daemon._lines.Writer.TryComplete();
                return;
            }

            lock (daemon._stdout)
            {
                daemon._stdout.AppendLine(e.Data);
            }

            daemon._lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (daemon._stderr)
                {
                    daemon._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Waits for the next stdout line that starts with <paramref name="prefix"/>; fails on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No line starting with '{prefix}' within {timeout}.\nstderr:\n{StandardError}");
        }

        throw new InvalidOperationException($"The process ended before printing '{prefix}'.\nstderr:\n{StandardError}");
    }

    public void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, signal);
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, then wait for a clean exit. Returns the exit code, or -1 when it had to be killed.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        Signal(15);
        if (await WaitForExitAsync(timeout))
        {
            return ExitCode;
        }

        await DisposeAsync();
        return -1;
    }

    /// <summary>Set by tests that print secrets on purpose (the scanner's own tests): no check on dispose.</summary>
    public bool SkipSecretScan { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        if (!SkipSecretScan)
        {
            SecretScanner.ThrowIfLeaked($"daemon {_description}", StandardOutput, StandardError);
        }
    }

    private bool _disposed;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // One trivial syscall; LibraryImport would need unsafe code here.
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054, CA5392
}
