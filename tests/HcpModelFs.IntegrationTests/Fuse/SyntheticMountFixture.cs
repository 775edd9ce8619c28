using HcpModelFs.Testing.Fuse;

namespace HcpModelFs.IntegrationTests.Fuse;

/// <summary>One synthetic-tree mount shared by the read-only checks of a test class; always unmounted.</summary>
public sealed class SyntheticMountFixture : IAsyncLifetime
{
    private FuseTestMount? _mount;

    public FuseTestMount Mount => _mount ?? throw new InvalidOperationException("Not started.");

    public string Root => Mount.MountPoint;

    public async Task InitializeAsync() => _mount = await FuseTestMount.StartAsync(["synthetic"]);

    public async Task DisposeAsync()
    {
        if (_mount is not null)
        {
            await _mount.DisposeAsync();
        }
    }
}
