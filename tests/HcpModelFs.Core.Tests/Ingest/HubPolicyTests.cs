using HcpModelFs.Core.Ingest;

namespace HcpModelFs.Core.Tests.Ingest;

public sealed class HubPolicyTests
{
    [Theory]
    [InlineData("*", "meta-llama/Llama-3", true)]
    [InlineData("meta-llama/*", "meta-llama/Llama-3", true)]
    [InlineData("meta-llama/*", "mistralai/Mistral", false)]
    [InlineData("*/bert-*", "google/bert-base", true)]
    [InlineData("*/bert-*", "google/roberta", false)]
    [InlineData("acme/m?del", "acme/model", true)]
    [InlineData("acme/m?del", "acme/mooodel", false)]
    public void Allow_patterns_are_globs_over_org_slash_model(string pattern, string id, bool allowed)
    {
        var policy = new HubPolicy { Allow = [pattern] };
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        Assert.Equal(allowed, policy.Allows(id[..slash], id[(slash + 1)..]));
    }

    [Fact]
    public void Deny_wins_over_allow_and_off_allows_nothing()
    {
        var policy = new HubPolicy { Allow = ["acme/*"], Deny = ["acme/secret-*"] };
        Assert.True(policy.Allows("acme", "public-model"));
        Assert.False(policy.Allows("acme", "secret-model"));
        Assert.False((policy with { Enabled = false }).Allows("acme", "public-model"));
        Assert.False((policy with { Enabled = false }).MayAllowOrganization("acme"));
    }

    [Fact]
    public void An_organisation_exists_only_if_some_allow_pattern_can_match_it()
    {
        var policy = new HubPolicy { Allow = ["acme/*", "g*/bert"] };
        Assert.True(policy.MayAllowOrganization("acme"));
        Assert.True(policy.MayAllowOrganization("google"));
        Assert.False(policy.MayAllowOrganization("other"));
        Assert.True(new HubPolicy().MayAllowOrganization("anything"));
    }

    [Theory]
    [InlineData(100L << 20, 8 << 20, 8L << 20)]
    [InlineData(100L << 20, 1 << 20, 5L << 20)]
    [InlineData(200_000L << 20, 8 << 20, 24L << 20)]
    public void Parts_are_whole_blocks_at_least_5_MiB_and_at_most_10000_per_file(long size, int blockSize, long expected)
    {
        var part = MultipartWriter.PartSizeFor(size, blockSize);
        Assert.Equal(expected, part);
        Assert.Equal(0, part % blockSize);
        Assert.True((size + part - 1) / part <= 10_000);
    }
}
