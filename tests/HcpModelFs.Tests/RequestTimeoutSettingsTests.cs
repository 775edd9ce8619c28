using HcpModelFs.Configuration;

namespace HcpModelFs.Tests;

/// <summary>HCPMODELFS_REQUEST_TIMEOUT_SECONDS: default, value, error naming the setting, the follow wait kept inside it; the test-only switch is no setting.</summary>
public sealed class RequestTimeoutSettingsTests
{
    private static DaemonSettings Bind(Dictionary<string, string> env) => DaemonSettingsBinder.Bind(env, null, isRoot: false, home: "/home/u");

    [Fact]
    public void Default_is_30_seconds_and_a_value_is_bound()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Bind([]).RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), Bind(new() { ["HCPMODELFS_REQUEST_TIMEOUT_SECONDS"] = "2.5" }).RequestTimeout);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("forever")]
    public void Bad_values_name_the_setting_not_the_value(string value)
    {
        var ex = Assert.Throws<FormatException>(() => Bind(new() { ["HCPMODELFS_REQUEST_TIMEOUT_SECONDS"] = value }));
        Assert.Contains("HCPMODELFS_REQUEST_TIMEOUT_SECONDS", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_follow_wait_stays_inside_the_request_limit()
    {
        Assert.Equal(TimeSpan.FromSeconds(20), Bind([]).IngestFollowWait);
        Assert.Equal(TimeSpan.FromSeconds(4), Bind(new() { ["HCPMODELFS_REQUEST_TIMEOUT_SECONDS"] = "6" }).IngestFollowWait);
        Assert.Equal(TimeSpan.FromSeconds(25), Bind(new() { ["HCPMODELFS_INGEST_FOLLOW_WAIT"] = "25" }).IngestFollowWait);
        Assert.Equal(TimeSpan.Zero, Bind(new() { ["HCPMODELFS_INGEST_FOLLOW_WAIT"] = "0" }).IngestFollowWait);

        var ex = Assert.Throws<FormatException>(() => Bind(new() { ["HCPMODELFS_INGEST_FOLLOW_WAIT"] = "30" }));
        Assert.Contains("HCPMODELFS_INGEST_FOLLOW_WAIT", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HCPMODELFS_REQUEST_TIMEOUT_SECONDS (30 s)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_only_switch_is_not_a_setting_the_config_file_accepts()
    {
        Assert.NotNull(SettingKeys.Find("HCPMODELFS_REQUEST_TIMEOUT_SECONDS"));
        Assert.Null(SettingKeys.Find("HCPMODELFS_TEST_DISABLE_REQUEST_LIMIT"));
    }
}
