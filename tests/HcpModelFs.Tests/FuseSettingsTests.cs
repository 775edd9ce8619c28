using HcpModelFs.Configuration;
using HcpModelFs.Fuse.Session;

namespace HcpModelFs.Tests;

/// <summary>HCPMODELFS_FUSE_MAX_BACKGROUND: default, value, errors naming the setting, and the congestion threshold INIT sends with it.</summary>
public sealed class FuseSettingsTests
{
    private static DaemonSettings Bind(Dictionary<string, string> env) => DaemonSettingsBinder.Bind(env, null, isRoot: false, home: "/home/u");

    [Fact]
    public void Default_is_the_session_default_and_a_value_is_bound()
    {
        Assert.Equal(new FuseSessionOptions().MaxBackground, Bind([]).FuseMaxBackground);
        Assert.Equal(4, Bind(new() { ["HCPMODELFS_FUSE_MAX_BACKGROUND"] = "4" }).FuseMaxBackground);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("-3")]
    [InlineData("many")]
    public void Bad_values_name_the_setting_not_the_value(string value)
    {
        var ex = Assert.Throws<FormatException>(() => Bind(new() { ["HCPMODELFS_FUSE_MAX_BACKGROUND"] = value }));
        Assert.Equal("HCPMODELFS_FUSE_MAX_BACKGROUND must be a number from 1 to 4096", ex.Message);
    }

    [Theory]
    [InlineData(128, 96)]
    [InlineData(4, 3)]
    [InlineData(1, 1)]
    public void Congestion_threshold_stays_below_max_background(int maxBackground, int expected) =>
        Assert.Equal(expected, new FuseSessionOptions { MaxBackground = (ushort)maxBackground }.EffectiveCongestionThreshold);
}
