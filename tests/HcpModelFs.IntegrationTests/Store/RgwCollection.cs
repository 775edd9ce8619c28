using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Store;

/// <summary>All tests that need Ceph RGW share one instance per run.</summary>
[CollectionDefinition(RgwFixture.CollectionName)]
public sealed class RgwCollection : ICollectionFixture<RgwFixture>
{
}
