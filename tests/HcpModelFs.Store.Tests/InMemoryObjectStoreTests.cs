using HcpModelFs.Testing.Fakes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.Store.Tests;

public sealed class InMemoryObjectStoreTests : ObjectStoreContractTests
{
    protected override ExclusiveCreateMode ExpectedExclusiveCreate => ExclusiveCreateMode.IfNoneMatch;

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new InMemoryObjectStore());
}
