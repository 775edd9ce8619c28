namespace HcpModelFs.Http.Tests;

public sealed class HubRouteTests
{
    [Theory]
    [InlineData("/api/models/acme/tiny", "ModelInfo", "acme", "tiny", null, "")]
    [InlineData("/api/models/acme/tiny/revision/main", "ModelInfo", "acme", "tiny", "main", "")]
    [InlineData("/api/models/acme/tiny/revision/refs%2Fpr%2F1", "ModelInfo", "acme", "tiny", "refs/pr/1", "")]
    [InlineData("/api/models/acme/tiny/tree/main", "Tree", "acme", "tiny", "main", "")]
    [InlineData("/api/models/acme/tiny/tree/main/a%2Fb", "Tree", "acme", "tiny", "main", "a/b")]
    [InlineData("/api/models/acme/tiny/tree/main/a/b/", "Tree", "acme", "tiny", "main", "a/b")]
    [InlineData("/api/models/acme/tiny/paths-info/main", "PathsInfo", "acme", "tiny", "main", "")]
    [InlineData("/api/models/acme/tiny/refs", "Refs", "acme", "tiny", null, "")]
    [InlineData("/acme/tiny/resolve/main/config.json", "Resolve", "acme", "tiny", "main", "config.json")]
    [InlineData("/acme/tiny/resolve/main/with%20space/%C3%BC.txt", "Resolve", "acme", "tiny", "main", "with space/ü.txt")]
    [InlineData("/acme/resolve/resolve/main/x", "Resolve", "acme", "resolve", "main", "x")]
    [InlineData("/gpt2/resolve/main/config.json", "Resolve", null, "gpt2", "main", "config.json")]
    [InlineData("/api/models/gpt2/tree/main", "Tree", null, "gpt2", "main", "")]
    public void Routes_are_found_by_their_marker(string path, string kind, string? org, string model, string? revision, string filePath)
    {
        var route = HubRoute.Parse(path);
        Assert.Equal(Enum.Parse<HubRouteKind>(kind), route.Kind);
        Assert.Equal(org, route.Org);
        Assert.Equal(model, route.Model);
        Assert.Equal(revision, route.Revision);
        Assert.Equal(filePath, route.Path);
        Assert.False(route.BadRepoId);
    }

    [Fact]
    public void An_encoded_slash_in_the_repo_id_is_flagged()
    {
        Assert.True(HubRoute.Parse("/api/models/acme%2Ftiny/revision/main").BadRepoId);
        Assert.True(HubRoute.Parse("/acme%2Ftiny/x/resolve/main/a").BadRepoId);
    }

    [Theory]
    [InlineData("/api/datasets/acme/data", "OtherRepoType")]
    [InlineData("/datasets/acme/data/resolve/main/x", "OtherRepoType")]
    [InlineData("/api/whoami-v2", "WhoAmI")]
    [InlineData("/", "Unknown")]
    [InlineData("/acme/tiny", "Unknown")]
    [InlineData("/acme/tiny/resolve/main", "Unknown")]
    [InlineData("/api/models/a/b/c/d", "Unknown")]
    public void Other_targets_are_not_model_routes(string path, string kind) => Assert.Equal(Enum.Parse<HubRouteKind>(kind), HubRoute.Parse(path).Kind);

    [Fact]
    public void Dot_segments_survive_parsing_so_validation_can_refuse_them()
    {
        Assert.Equal("../other/x", HubRoute.Parse("/acme/tiny/resolve/main/%2E%2E/other/x").Path);
        Assert.Equal("../other/x", HubRoute.Parse("/acme/tiny/resolve/main/../other/x").Path);
    }
}
