using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class CacheMaintenanceTests
{
    private const int BlockSize = 4096;

    [Fact]
    public async Task Verify_drops_exactly_the_block_whose_bytes_no_longer_match_its_crc()
    {
        using var dir = new TempDirectory();
        var id = new CacheObjectId("models/acme/m/abc/a.bin", "c1", BlockSize * 3);
        await CacheInspectorTests.FillAsync(dir.Path, (id, [0, 1, 2]));
        var data = Directory.EnumerateFiles(Path.Combine(dir.Path, "objects")).Single(f => !f.EndsWith(".meta", StringComparison.Ordinal));
        using (var handle = File.OpenHandle(data, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(handle, new byte[] { 0xFF, 0x00, 0xFF }, BlockSize + 17); // flip bytes inside block 1
        }

        CacheVerifyResult result;
        using (var directoryLock = CacheDirectoryLock.TryAcquire(dir.Path, out _)!)
        {
            result = new CacheMaintenance(directoryLock).Verify(CancellationToken.None);
        }

        Assert.Equal((1, 3L, 1L, (long)BlockSize), (result.Objects, result.BlocksChecked, result.BlocksBad, result.BytesDropped));
        using var cache = new DiskBlockCache(new DiskBlockCacheOptions { Directory = dir.Path, BlockSize = BlockSize });
        Assert.True(cache.IsBlockPresent(id, 0));
        Assert.False(cache.IsBlockPresent(id, 1));
        Assert.True(cache.IsBlockPresent(id, 2));
    }

    [Fact]
    public async Task Verify_of_an_intact_cache_finds_nothing_bad()
    {
        using var dir = new TempDirectory();
        await CacheInspectorTests.FillAsync(dir.Path, (new CacheObjectId("k", "e", (BlockSize * 2) + 1), [0, 2]));
        using var directoryLock = CacheDirectoryLock.TryAcquire(dir.Path, out _)!;

        var result = new CacheMaintenance(directoryLock).Verify(CancellationToken.None);

        Assert.Equal((2L, 0L, 0), (result.BlocksChecked, result.BlocksBad, result.ObjectsRemoved));
    }

    [Fact]
    public async Task Remove_takes_only_the_matching_keys_and_clear_takes_everything()
    {
        using var dir = new TempDirectory();
        var mine = new CacheObjectId("models/acme/m/abc/a.bin", "c1", 100);
        var other = new CacheObjectId("models/acme/other/abc/a.bin", "c1", 200);
        await CacheInspectorTests.FillAsync(dir.Path, (mine, [0]), (other, [0]));
        using var directoryLock = CacheDirectoryLock.TryAcquire(dir.Path, out _)!;
        var maintenance = new CacheMaintenance(directoryLock);

        Assert.Equal((1, 100L), maintenance.Remove(k => k.StartsWith("models/acme/m/", StringComparison.Ordinal)));
        Assert.Equal([other.Key], CacheInspector.Inspect(dir.Path).Objects.Select(o => o.Key));

        Assert.Equal((1, 200L), maintenance.Clear());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "objects")));
    }
}
