using System.Text.Json;

namespace HcpModelFs.Testing.Reliability;

/// <summary>
/// Appends scenario rows, one JSON object per line, to <c>$HCPMODELFS_RELIABILITY_OUT</c> (default
/// <c>&lt;repo&gt;/TestResults/reliability.jsonl</c>). <c>scripts/reliability-table.sh</c> turns the file into the
/// markdown table of docs/RELIABILITY.md. Appends are whole lines under one lock, so parallel test classes in one
/// process do not interleave; test assemblies run one at a time (scripts/test.sh).
/// </summary>
public static class ReliabilityRecord
{
    private static readonly Lock Gate = new();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string OutputPath =>
        Environment.GetEnvironmentVariable("HCPMODELFS_RELIABILITY_OUT") is { Length: > 0 } path
            ? path
            : Path.Combine(RepoPaths.Root, "TestResults", "reliability.jsonl");

    public static void Add(ReliabilityRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var line = JsonSerializer.Serialize(new
        {
            row.Scenario,
            row.Description,
            row.Iterations,
            row.FaultsInjected,
            row.BytesVerified,
            row.Failures,
            WorstTimeToErrorMs = row.WorstTimeToError is { } t ? Math.Round(t.TotalMilliseconds, 1) : (double?)null,
            row.Note,
            RecordedAt = DateTimeOffset.UtcNow,
        }, Json);
        var path = OutputPath;
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.AppendAllText(path, line + "\n");
        }
    }
}
