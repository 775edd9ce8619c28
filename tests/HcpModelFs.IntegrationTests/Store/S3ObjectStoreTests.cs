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

    public override Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }
}
