using HcpModelFs.Testing.Fakes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.Store.Tests;

/// <summary>The fake with HCP's rules: a write to an existing key is refused (409), no If-None-Match.</summary>
public sealed class InMemoryObjectStoreHcpPersonalityTests : ObjectStoreContractTests
{
    protected override ExclusiveCreateMode ExpectedExclusiveCreate => ExclusiveCreateMode.ConflictOnExisting;

    protected override bool ExpectedOverwriteAllowed => false;

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new InMemoryObjectStore(hcpPersonality: true));
}
