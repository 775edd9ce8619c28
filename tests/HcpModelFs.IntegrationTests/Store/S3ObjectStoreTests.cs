using HcpModelFs.Store;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Store;

/// <summary>
/// The store contract on a real Ceph RGW 16. RGW honours <c>If-None-Match: *</c> (412) and allows overwrite; its
/// CompleteMultipartUpload answer has an empty ETag (detected as a capability; CompleteMultipartAsync HEADs instead).
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed class S3ObjectStoreTests : ObjectStoreContractTests
{
    private readonly RgwFixture _rgw;

    public S3ObjectStoreTests(RgwFixture rgw)
    {
        _rgw = rgw;
    }

    protected override ExclusiveCreateMode ExpectedExclusiveCreate => ExclusiveCreateMode.IfNoneMatch;

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(_rgw.CreateStore(listPageSize: 7));

    [Fact]
    public void DetectCapabilities_on_rgw_finds_empty_complete_multipart_etag()
    {
        Assert.True(Store.Capabilities.CompleteMultipartOmitsETag);
        Assert.True(Store.Capabilities.DeleteAllowed);
    }

    [Fact]
    public async Task CreateExclusive_on_rgw_uses_If_None_Match_through_a_pass_through_proxy()
    {
        await using var proxy = new S3FaultProxy(_rgw.Endpoint);
        using var store = _rgw.CreateStore(proxy.Endpoint);
        await store.DetectCapabilitiesAsync(Prefix + "probe2/", CancellationToken.None).WaitAsync(Timeout);
        var key = Prefix + "lease/inm";
        Assert.True(await store.CreateExclusiveAsync(key, "a"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        Assert.False(await store.CreateExclusiveAsync(key, "b"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        var puts = proxy.Requests.Where(r => r.Method == "PUT" && r.Key == key).ToList();
        Assert.Equal(2, puts.Count);
        Assert.All(puts, r => Assert.Equal("*", r.IfNoneMatch));
        Assert.Equal([200, 412], puts.Select(r => r.Status));
    }

    [Fact]
    public async Task DetectCapabilities_with_multipart_refused_records_no_multipart()
    {
        await using var proxy = new S3FaultProxy(_rgw.Endpoint);
        proxy.AddRule(new FaultRule(FaultKind.NotImplemented)
        {
            Match = r => r.Method == "POST" && r.Query.StartsWith("uploads", StringComparison.Ordinal),
        });
        using var store = _rgw.CreateStore(proxy.Endpoint);
        var capabilities = await store.DetectCapabilitiesAsync(Prefix + "probe3/", CancellationToken.None).WaitAsync(Timeout);
        Assert.False(capabilities.MultipartSupported);
        Assert.Equal(ExclusiveCreateMode.IfNoneMatch, capabilities.ExclusiveCreate);
        Assert.Empty(await Collect(store.ListAsync(Prefix + "probe3/", null, CancellationToken.None)));
    }

    public override Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }
}
