using HcpModelFs.Configuration;

namespace HcpModelFs.Tests;

/// <summary>HCPMODELFS_LISTING_TTL and HCPMODELFS_LISTING_MAX_KEYS: defaults, values, and errors naming the setting.</summary>
public sealed class ListingSettingsTests
{
    private static DaemonSettings Bind(Dictionary<string, string> env) => DaemonSettingsBinder.Bind(env, null, isRoot: false, home: "/home/u");

    [Fact]
    public void Defaults_keep_a_listing_for_a_minute_and_index_up_to_100k_keys()
    {
        var settings = Bind([]);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.ListingTtl);
        Assert.Equal(100_000, settings.ListingMaxKeys);
    }

    [Fact]
    public void Values_are_bound()
    {
        var settings = Bind(new() { ["HCPMODELFS_LISTING_TTL"] = "7.5", ["HCPMODELFS_LISTING_MAX_KEYS"] = "2500" });
        Assert.Equal(TimeSpan.FromSeconds(7.5), settings.ListingTtl);
        Assert.Equal(2500, settings.ListingMaxKeys);
    }

    [Theory]
    [InlineData("HCPMODELFS_LISTING_TTL", "0")]
    [InlineData("HCPMODELFS_LISTING_TTL", "soon")]
    [InlineData("HCPMODELFS_LISTING_MAX_KEYS", "0")]
    [InlineData("HCPMODELFS_LISTING_MAX_KEYS", "lots")]
    public void Bad_values_name_the_setting_not_the_value(string name, string value)
    {
        var ex = Assert.Throws<FormatException>(() => Bind(new() { [name] = value }));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
    }
}
