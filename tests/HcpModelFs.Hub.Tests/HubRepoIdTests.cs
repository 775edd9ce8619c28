namespace HcpModelFs.Hub.Tests;

public sealed class HubRepoIdTests
{
    [Theory]
    [InlineData("meta-llama/Llama-3.1-8B", "meta-llama", "Llama-3.1-8B")]
    [InlineData("gpt2", null, "gpt2")]
    [InlineData("_org/_name_", "_org", "_name_")]
    [InlineData("a/b.c-d_e", "a", "b.c-d_e")]
    public void Parse_valid_id_splits_namespace_and_name(string value, string? ns, string name)
    {
        var id = HubRepoId.Parse(value);
        Assert.Equal(ns, id.Namespace);
        Assert.Equal(name, id.Name);
        Assert.Equal(value, id.Value);
        Assert.Equal(value, id.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b/c")]
    [InlineData("/name")]
    [InlineData("org/")]
    [InlineData("org/-name")]
    [InlineData("org/name-")]
    [InlineData("org/.name")]
    [InlineData("org/na--me")]
    [InlineData("org/na..me")]
    [InlineData("org/name.git")]
    [InlineData("org/na me")]
    [InlineData("org/naïve")]
    [InlineData("org%2Fname")]
    public void TryParse_invalid_id_returns_false(string value)
    {
        Assert.False(HubRepoId.TryParse(value, out _));
        Assert.Throws<FormatException>(() => HubRepoId.Parse(value));
    }

    [Fact]
    public void TryParse_name_longer_than_96_returns_false()
    {
        Assert.True(HubRepoId.TryParse("org/" + new string('a', 96), out _));
        Assert.False(HubRepoId.TryParse("org/" + new string('a', 97), out _));
    }
}
