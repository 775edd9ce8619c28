using HcpModelFs.Commands.Export;

namespace HcpModelFs.Tests;

/// <summary>`export`'s globs (huggingface_hub allow/ignore_patterns semantics) and its `-f models.yaml` format.</summary>
public sealed class ExportInputTests
{
    [Theory]
    [InlineData("*.json", "config.json", true)]
    [InlineData("*.json", "nested/tokenizer.json", true)] // fnmatch: '*' crosses '/'
    [InlineData("nested/", "nested/dir/weights.bin", true)]
    [InlineData("nested/", "nestedx/a", false)]
    [InlineData("model-?????-of-*.safetensors", "model-00001-of-00002.safetensors", true)]
    [InlineData("[!c]*.json", "config.json", false)]
    [InlineData("[ct]*.json", "tokenizer.json", true)]
    [InlineData("config.json", "xconfig.json", false)]
    public void Include_globs_match_as_huggingface_hub_does(string glob, string path, bool expected) =>
        Assert.Equal(expected, new GlobFilter([glob], []).Matches(path));

    [Fact]
    public void Exclude_wins_and_no_include_means_everything()
    {
        var filter = new GlobFilter(["*.safetensors", "*.json"], ["original/*"]);
        Assert.True(filter.Matches("model.safetensors"));
        Assert.False(filter.Matches("original/model.safetensors"));
        Assert.False(filter.Matches("model.bin"));
        Assert.True(GlobFilter.All.Matches("anything/at/all"));
    }

    [Fact]
    public void Models_file_takes_names_mappings_and_a_models_key()
    {
        var defaults = new GlobFilter(["*.json"], []);
        var requests = ModelsFile.Parse(
            """
            models:
              - acme/plain
              - name: acme/pinned
                revision: v2
                allow_patterns: "*.safetensors"
                ignore_patterns: [original/, "*.bin"]
              - repo_id: acme/third@main
            """, "models.yaml", defaults);

        Assert.Equal(["acme/plain", "acme/pinned@v2", "acme/third@main"], requests.Select(r => r.Text));
        Assert.Same(defaults, requests[0].Filter);
        Assert.Equal(["*.safetensors"], requests[1].Filter.Include);
        Assert.Equal(["original/", "*.bin"], requests[1].Filter.Exclude);
        Assert.Equal("main", requests[2].Revision);
        Assert.Single(ModelsFile.Parse("- acme/only\n", "m.yaml", defaults));
    }

    [Theory]
    [InlineData("- name: acme/x\n  colour: red\n", "models.yaml:2: unknown key 'colour'")]
    [InlineData("- not a model\n", "models.yaml:1: 'not a model' is not ORG/MODEL")]
    [InlineData("- revision: main\n", "models.yaml:1: the model has no name")]
    [InlineData("acme/x: 1\n", "expected a list of models")]
    [InlineData("- [unclosed\n", "not valid YAML")]
    public void Models_file_errors_name_the_file_and_line(string yaml, string expected)
    {
        var error = Assert.Throws<FormatException>(() => ModelsFile.Parse(yaml, "models.yaml", GlobFilter.All));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
