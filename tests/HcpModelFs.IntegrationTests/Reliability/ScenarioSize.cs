namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// CI size or full (soak) size of the crash and full-disk scenarios: <c>HCPMODELFS_RELIABILITY_SIZE=full</c> runs the
/// full size (bench/soak); anything else the CI size, which keeps these scenarios together within about 90 s.
/// </summary>
internal static class ScenarioSize
{
    public static bool Full { get; } =
        string.Equals(Environment.GetEnvironmentVariable("HCPMODELFS_RELIABILITY_SIZE"), "full", StringComparison.OrdinalIgnoreCase);

    public static string Name => Full ? "full size" : "CI size";

    public static int Pick(int ci, int full) => Full ? full : ci;
}
