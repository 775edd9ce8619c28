using System.CommandLine;
using HcpModelFs.Configuration;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HcpModelFs.Commands.Cli;

/// <summary>
/// One command's output conventions: results on stdout (human text on a terminal, one JSON document with `--json`),
/// errors as one line `hcpmodelfs VERB: message` on stderr, never a stack trace. Messages come from our own exceptions,
/// which name settings and keys, never secret values.
/// </summary>
internal sealed class CliOutput
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string _verb;

    public CliOutput(string verb, bool json, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        _verb = verb;
        IsJson = json;
        Out = stdout ?? Console.Out;
        Error = stderr ?? Console.Error;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>`--json`: machine-readable output for scripts (shared by every command that prints results).</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON document instead of text (for scripts)" };

    public bool IsJson { get; }

    /// <summary>Progress bars and colours only for a person at a terminal, never into a pipe or with --json.</summary>
    public bool IsInteractive => !IsJson && !Console.IsOutputRedirected;

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    public void WriteLine(string text) => Out.WriteLine(text);

    /// <summary>One line on stderr and the exit code to return.</summary>
    public int Fail(string message, int exitCode = ExitCodes.Failed)
    {
        Error.WriteLine($"hcpmodelfs {_verb}: {message}");
        return exitCode;
    }

    public int BadUsage(string message) => Fail(message, ExitCodes.BadUsage);

    /// <summary>The effective settings, or null after a bad one was reported here as bad usage (the caller exits 2).</summary>
    public DaemonSettings? LoadSettings(ParseResult parse, Option<string?> envFile)
    {
        try
        {
            return SettingsLoader.Load(parse, envFile).Settings;
        }
        catch (FormatException ex)
        {
            BadUsage(ex.Message);
            return null;
        }
    }
}
