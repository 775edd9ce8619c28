using HcpModelFs.Testing.Hub;

namespace HcpModelFs.Hub.Tests;

/// <summary>The in-memory fake passes the same contract as the HTTP client (see the integration tests).</summary>
public sealed class FakeModelHubTests : ModelHubContractTests
{
    protected override Task<HubUnderTest> CreateAsync(FakeHubCatalog catalog, string? token) =>
        Task.FromResult(new HubUnderTest(new FakeModelHub(catalog, token)));

    [Fact]
    public async Task EnqueueFailure_next_call_throws_it_and_counters_count()
    {
        var catalog = ContractCatalog.Create();
        var hub = new FakeModelHub(catalog);
        hub.EnqueueFailure(new HubException(HubErrorKind.Unavailable, "boom"));
        var ex = await Assert.ThrowsAsync<HubException>(() =>
            hub.ResolveRevisionAsync(HubRepoId.Parse(ContractCatalog.Model), "main", CancellationToken.None));
        Assert.Equal(HubErrorKind.Unavailable, ex.Kind);
        var rev = await hub.ResolveRevisionAsync(HubRepoId.Parse(ContractCatalog.Model), "main", CancellationToken.None);
        await hub.ReadRangeAsync(HubRepoId.Parse(ContractCatalog.Model), rev.CommitSha, "config.json", 0, new byte[10],
            CancellationToken.None);
        Assert.Equal(2, hub.ResolveCalls);
        Assert.Equal(1, hub.ReadCalls);
        Assert.Equal(10, hub.BytesRead);
    }
}
