using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `refresh` against the fake Hub and Ceph RGW: the default revision stays pinned when the Hub moves, until refresh
/// ingests the new commit and appends a HEAD entry; the old revision stays in the store.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in DisposeAsync
public sealed class RefreshCommandTests : IAsyncLifetime
{
    private const string Org = "acme-hub";
    private const string Name = "moving";
    private readonly MountTestScratch _scratch;
    private readonly Cli _cli;
    private FakeHubServer? _hub;
    private FakeHubRepo? _repo;

    public RefreshCommandTests(RgwFixture rgw)
    {
        _scratch = new MountTestScratch(rgw, $"cmdr-{Guid.NewGuid():N}/");
        _cli = new Cli(rgw, _scratch.Prefix, _scratch.NewDirectory("cache"));
    }

    public async Task InitializeAsync()
    {
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        _repo = catalog.AddRepo($"{Org}/{Name}", SyntheticModel.Create(shardCount: 1, seed: 3, includeOddNames: false));
        _hub = await FakeHubServer.StartAsync(catalog);
    }

    public async Task DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        await _scratch.CleanUpAsync();
    }

    [Fact]
    public async Task Refresh_ingests_the_Hubs_new_default_commit_then_moves_HEAD_and_keeps_the_old_revision()
    {
        var env = HubEnvironment();
        var first = _repo!.Head.Sha;
        var prefetch = await Cli.RunAsync(env, "prefetch", $"{Org}/{Name}");
        Assert.True(prefetch.ExitCode == 0, prefetch.ToString());
        var second = _repo.AddRevision("main", SyntheticModel.Create(shardCount: 2, seed: 4, includeOddNames: false)).Sha;
        Assert.Equal(first, Cli.Json(await Cli.RunAsync(env, "info", $"{Org}/{Name}", "--json")).GetProperty("commit").GetString()); // pinned

        var refreshed = Cli.Json(await Cli.RunAsync(env, "refresh", $"{Org}/{Name}", "--json"));

        Assert.Equal((first, second, true, true), (
            refreshed.GetProperty("previous").GetString(), refreshed.GetProperty("commit").GetString(),
            refreshed.GetProperty("changed").GetBoolean(), refreshed.GetProperty("ingested").GetBoolean()));
        var info = Cli.Json(await Cli.RunAsync(env, "info", $"{Org}/{Name}", "--json"));
        Assert.Equal(second, info.GetProperty("commit").GetString());
        Assert.Equal("hub", info.GetProperty("source").GetString());
        Assert.Equal(_repo.Commits[second].Files.Count, info.GetProperty("files").GetArrayLength());
        var revisions = Cli.Json(await Cli.RunAsync(env, "ls", $"{Org}/{Name}", "--json")).GetProperty("revisions").EnumerateArray()
            .Select(r => r.GetProperty("commit").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), revisions);

        Assert.Contains($"already at the Hub's default revision {second}", Cli.Ok(await Cli.RunAsync(env, "refresh", $"{Org}/{Name}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_of_a_model_the_Hub_lacks_or_with_ingest_off_fails_in_one_line()
    {
        Assert.Contains("not on the Hub", _cli.OneLineError(await Cli.RunAsync(HubEnvironment(), "refresh", $"{Org}/absent"), 1, "refresh"), StringComparison.Ordinal);
        Assert.Contains("Hub ingest is off", _cli.OneLineError(await _cli.RunAsync("refresh", $"{Org}/{Name}"), 2, "refresh"), StringComparison.Ordinal);
        _cli.OneLineError(await Cli.RunAsync(HubEnvironment(), "refresh", $"{Org}/{Name}@main"), 2, "refresh");
    }

    private Dictionary<string, string> HubEnvironment()
    {
        var env = _cli.Environment();
        env.Remove("HCPMODELFS_HUB_INGEST");
        env["HF_ENDPOINT"] = _hub!.HubUri.ToString().TrimEnd('/');
        env["HF_TOKEN"] = ContractCatalog.Token;
        env["HF_HOME"] = _scratch.NewDirectory("hf-home");
        return env;
    }
}
