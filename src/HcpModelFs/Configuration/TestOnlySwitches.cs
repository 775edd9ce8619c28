namespace HcpModelFs.Configuration;

/// <summary>
/// Switches that turn a guard off, so a reliability scenario can show it catches the guard's absence
/// (docs/RELIABILITY.md, "Test-only switches"). Read here and nowhere else; not settings: the config file and
/// `config show` do not know them, and nothing in production sets them.
/// </summary>
internal static class TestOnlySwitches
{
    /// <summary>HCPMODELFS_TEST_DISABLE_REQUEST_LIMIT=1: FUSE requests wait without HCPMODELFS_REQUEST_TIMEOUT_SECONDS.</summary>
    public static bool RequestLimitDisabled => Environment.GetEnvironmentVariable("HCPMODELFS_TEST_DISABLE_REQUEST_LIMIT") == "1";
}
