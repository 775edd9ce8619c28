using HcpModelFs.Configuration;

namespace HcpModelFs.Tests;

/// <summary>HCPMODELFS_METRICS_LISTEN and the log file / repeat settings: defaults, values, errors naming the setting.</summary>
public sealed class ObservabilitySettingsTests
{
    private static DaemonSettings Bind(Dictionary<string, string> env) => DaemonSettingsBinder.Bind(env, null, isRoot: false, home: "/home/u");

    [Fact]
    public void Defaults_serve_metrics_on_loopback_9464_and_roll_the_log_file_at_100MiB_keeping_5()
    {
        var settings = Bind([]);
        Assert.Equal("127.0.0.1:9464", settings.MetricsListen);
        Assert.Equal(100L << 20, settings.LogFileMaxBytes);
        Assert.Equal(5, settings.LogFileRetained);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.LogRepeatInterval);
    }

    [Fact]
    public void Values_are_bound_and_off_disables_the_metrics_endpoint()
    {
        var settings = Bind(new()
        {
            ["HCPMODELFS_METRICS_LISTEN"] = "0.0.0.0:9464",
            ["HCPMODELFS_LOG_FILE_MAX_SIZE"] = "10MiB",
            ["HCPMODELFS_LOG_FILE_RETAINED"] = "3",
            ["HCPMODELFS_LOG_REPEAT_INTERVAL"] = "2.5",
        });
        Assert.Equal("0.0.0.0:9464", settings.MetricsListen);
        Assert.Equal(10L << 20, settings.LogFileMaxBytes);
        Assert.Equal(3, settings.LogFileRetained);
        Assert.Equal(TimeSpan.FromSeconds(2.5), settings.LogRepeatInterval);
        Assert.Null(Bind(new() { ["HCPMODELFS_METRICS_LISTEN"] = "off" }).MetricsListen);
    }

    [Theory]
    [InlineData("HCPMODELFS_METRICS_LISTEN", "9464")]
    [InlineData("HCPMODELFS_METRICS_LISTEN", "localhost:9464")]
    [InlineData("HCPMODELFS_LOG_FILE_MAX_SIZE", "10KiB")]
    [InlineData("HCPMODELFS_LOG_FILE_RETAINED", "0")]
    [InlineData("HCPMODELFS_LOG_REPEAT_INTERVAL", "soon")]
    public void Bad_values_fail_naming_the_setting(string name, string value)
    {
        var ex = Assert.Throws<FormatException>(() => Bind(new() { [name] = value }));
        Assert.StartsWith(name, ex.Message, StringComparison.Ordinal);
    }
}
