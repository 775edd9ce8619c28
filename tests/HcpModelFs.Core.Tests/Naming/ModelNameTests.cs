using HcpModelFs.Core.Naming;

namespace HcpModelFs.Core.Tests.Naming;

public sealed class ModelNameTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("Llama-3.1-8B-Instruct")]
    [InlineData("_private")]
    [InlineData("a")]
    [InlineData("bert_base.v2")]
    public void IsValid_accepts_hub_names(string name) => Assert.True(ModelName.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData(".hidden")]
    [InlineData("a--b")]
    [InlineData("a..b")]
    [InlineData("repo.git")]
    [InlineData("sp ace")]
    [InlineData("ünïcode")]
    [InlineData("a/b")]
    [InlineData("x@y")]
    public void IsValid_rejects_what_the_hub_rejects(string name) => Assert.False(ModelName.IsValid(name));

    [Fact]
    public void IsValid_caps_the_length_at_96()
    {
        Assert.True(ModelName.IsValid(new string('a', 96)));
        Assert.False(ModelName.IsValid(new string('a', 97)));
    }

    [Theory]
    [InlineData("model", "model", null)]
    [InlineData("model@main", "model", "main")]
    [InlineData("model@refs/pr/1", "model", "refs/pr/1")]
    [InlineData("model@0123456789abcdef0123456789abcdef01234567", "model", "0123456789abcdef0123456789abcdef01234567")]
    public void TryParseModelEntry_splits_model_and_revision(string entry, string model, string? revision)
    {
        Assert.True(ModelName.TryParseModelEntry(entry, out var m, out var r));
        Assert.Equal((model, revision), (m, r));
    }

    [Theory]
    [InlineData("model@")]
    [InlineData("model@../x")]
    [InlineData("model@/abs")]
    [InlineData("bad--model@main")]
    [InlineData("model@a b")]
    public void TryParseModelEntry_rejects_bad_revisions(string entry) => Assert.False(ModelName.TryParseModelEntry(entry, out _, out _));
}
