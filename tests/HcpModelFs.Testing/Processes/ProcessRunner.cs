using System.Diagnostics;
using HcpModelFs.Testing.Secrets;

namespace HcpModelFs.Testing.Processes;

/// <summary>
/// Runs a command to completion with a hard time limit (the process tree is killed when it runs over), so a hung
/// mount can fail a test but never hang the run. What it printed is checked for the run's secrets
/// (<see cref="SecretScanner"/>): a hit fails the test.
/// </summary>
public static class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static Task<ProcessResult> RunAsync(string fileName, params string[] arguments) =>
        RunAsync(fileName, arguments, DefaultTimeout);

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var result = await RunUnscannedAsync(fileName, arguments, timeout, environment, workingDirectory);
        SecretScanner.ThrowIfLeaked($"{fileName} {string.Join(' ', arguments.Select(a => SecretScanner.Mask(a)))}", result.StandardOutput, result.StandardError);
        return result;
    }

    /// <summary>
    /// <see cref="RunAsync(string, IReadOnlyList{string}, TimeSpan, IReadOnlyDictionary{string, string}?, string?)"/>
    /// without the secret check, for test infrastructure that prints its own credentials by design (scripts/rgw.sh
    /// start prints the rgw.env it wrote) and for the scanner's own tests.
    /// </summary>
    public static async Task<ProcessResult> RunUnscannedAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments, environment, workingDirectory) };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a shell snippet with bash -c (pipes, redirections).</summary>
    public static Task<ProcessResult> ShellAsync(string script, TimeSpan? timeout = null) =>
        RunAsync("bash", ["-c", script], timeout ?? DefaultTimeout);

    public static ProcessStartInfo CreateStartInfo(
        string fileName,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        return start;
    }
}
