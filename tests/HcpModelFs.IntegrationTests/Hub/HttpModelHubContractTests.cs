using HcpModelFs.Hub.Http;
using HcpModelFs.Testing.Hub;

namespace HcpModelFs.IntegrationTests.Hub;

/// <summary>
/// The HTTP client over loopback against the fake Hub passes the same contract as the in-memory fake. The server
/// pages the tree by 4 entries (pagination on every listing) and runs its CDN in strict mode, so any token that
/// reached the CDN would fail the test with a 400.
/// </summary>
public sealed class HttpModelHubContractTests : ModelHubContractTests
{
    protected override async Task<HubUnderTest> CreateAsync(FakeHubCatalog catalog, string? token)
    {
        var server = await FakeHubServer.StartAsync(catalog).WaitAsync(Timeout);
        server.PageSize = 4;
        server.StrictCdn = true;
        var hub = new HttpModelHub(HubTestSupport.Options(server, token));
        return new HubUnderTest(hub, async () =>
        {
            hub.Dispose();
            var leaked = server.CdnSawAuthorization;
            await server.DisposeAsync();
            Assert.False(leaked, "the CDN saw an Authorization header");
        });
    }
}
