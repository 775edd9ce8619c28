using HcpModelFs.Store.Local;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.Store.Tests;

public sealed class LocalDirectoryObjectStoreTests : ObjectStoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hcpmodelfs-local-" + Guid.NewGuid().ToString("N"));

    protected override ExclusiveCreateMode ExpectedExclusiveCreate => ExclusiveCreateMode.IfNoneMatch;

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new LocalDirectoryObjectStore(_root));

    public override Task DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Put_leaves_no_temp_files_behind()
    {
        await Store.PutAsync(Prefix + "x", new byte[10], CancellationToken.None).WaitAsync(Timeout);
        await Store.CreateExclusiveAsync(Prefix + "x", new byte[10], CancellationToken.None).WaitAsync(Timeout);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, ".store-tmp")));
    }

    [Fact]
    public async Task Key_escaping_the_root_is_rejected()
    {
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            Store.PutAsync("../evil", new byte[1], CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.InvalidRequest, e.Kind);
    }
}
