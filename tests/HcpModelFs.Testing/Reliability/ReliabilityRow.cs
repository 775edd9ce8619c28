namespace HcpModelFs.Testing.Reliability;

/// <summary>
/// One scenario's figures for docs/RELIABILITY.md. A scenario test records its row only after its assertions passed,
/// so a row in the table is a run that held the promise; a failed scenario shows up as a failed test instead.
/// </summary>
/// <param name="Scenario">Stable id, "&lt;issue item&gt;.&lt;name&gt;", e.g. "1.store-resets".</param>
/// <param name="Description">What was done, in a few words, as the table shows it.</param>
/// <param name="Iterations">Repetitions (reads, kill points, lookups, ...).</param>
/// <param name="FaultsInjected">Faults that fired, counted where they fired (the proxy, the kill loop), not configured.</param>
/// <param name="BytesVerified">Bytes compared against the expected content.</param>
/// <param name="Failures">Broken promises seen (wrong bytes, hangs, crashes, half models); a passing row has 0.</param>
/// <param name="WorstTimeToError">Longest time a caller waited for an error or a result under the fault; null when not measured.</param>
/// <param name="Note">Anything the numbers need, e.g. "limit 5 s (CI size)".</param>
public sealed record ReliabilityRow(
    string Scenario,
    string Description,
    long Iterations,
    long FaultsInjected,
    long BytesVerified,
    long Failures,
    TimeSpan? WorstTimeToError,
    string? Note = null);
