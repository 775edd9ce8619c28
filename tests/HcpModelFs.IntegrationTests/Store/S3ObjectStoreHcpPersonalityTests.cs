using HcpModelFs.Store;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Store;

/// <summary>
/// The store contract on RGW behind the fault proxy's HCP personality: any write to an existing key is refused with
/// 409 and If-None-Match plays no part. Detection must find <see cref="ExclusiveCreateMode.ConflictOnExisting"/> and
/// no overwrite; exclusive create stays exclusive (the racing-writers test) on 409 alone.
/// </summary>
[Collection(RgwFixture.CollectionName)]
#pragma warning disable CA1001 // disposed in IAsyncLifetime.DisposeAsync
public sealed class S3ObjectStoreHcpPersonalityTests : ObjectStoreContractTests
{
    private readonly RgwFixture _rgw;
    private S3FaultProxy? _proxy;

    public S3ObjectStoreHcpPersonalityTests(RgwFixture rgw)
    {
        _rgw = rgw;
    }

    protected override ExclusiveCreateMode ExpectedExclusiveCreate => ExclusiveCreateMode.ConflictOnExisting;

    protected override bool ExpectedOverwriteAllowed => false;

    protected override Task<IObjectStore> CreateStoreAsync()
    {
        _proxy = new S3FaultProxy(_rgw.Endpoint, _rgw.ExistsAsync) { HcpPersonality = true };
        return Task.FromResult<IObjectStore>(_rgw.CreateStore(_proxy.Endpoint, listPageSize: 7));
    }

    [Fact]
    public async Task CreateExclusive_on_hcp_sends_no_If_None_Match_and_gets_409()
    {
        var key = Prefix + "lease/hcp";
        Assert.True(await Store.CreateExclusiveAsync(key, "a"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        Assert.False(await Store.CreateExclusiveAsync(key, "b"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains(_proxy!.Requests, r => r.Method == "PUT" && r.Key == key && r.Status == 409);
        Assert.All(_proxy.Requests.Where(r => r.Key == key), r => Assert.Null(r.IfNoneMatch));
    }

    public override async Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }
}
#pragma warning restore CA1001
