using System.Globalization;

namespace HcpModelFs.IntegrationTests.Soak;

/// <summary>
/// A test that runs only when <c>HCPMODELFS_SOAK_SECONDS</c> is set (bench/soak/run.sh sets it); CI shows it as
/// skipped. The duration is read in this one place.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SoakFactAttribute : FactAttribute
{
    public const string DurationVariable = "HCPMODELFS_SOAK_SECONDS";

    public SoakFactAttribute()
    {
        if (Duration is null)
        {
            Skip = $"a soak: set {DurationVariable} (bench/soak/run.sh)";
        }
    }

    public static TimeSpan? Duration =>
        double.TryParse(Environment.GetEnvironmentVariable(DurationVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
