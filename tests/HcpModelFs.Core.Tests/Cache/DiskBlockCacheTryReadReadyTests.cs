using HcpModelFs.Core.Cache;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>DiskBlockCache.TryReadReady: the READ fast path that lets the FUSE layer skip the request limit's timer.</summary>
public sealed class DiskBlockCacheTryReadReadyTests : IDisposable
{
    private const int BlockSize = 4096;
    private readonly TempDirectory _dir = new();
    private readonly CountingBlockSource _source = new();

    public void Dispose() => _dir.Dispose();

    private DiskBlockCache NewCache() => new(
        new DiskBlockCacheOptions { Directory = _dir.Path, BlockSize = BlockSize, MinFreeDiskBytes = 0, AvailableFreeSpaceProbe = _ => long.MaxValue },
        null, new ManualTimeProvider());

    [Fact]
    public async Task A_read_over_a_missing_block_is_refused_without_fetching_or_counting_and_served_exactly_once_present()
    {
        using var cache = NewCache();
        var id = new CacheObjectId("a", "\"etag-a\"", (3 * BlockSize) + 100, null);
        var buffer = new byte[(2 * BlockSize) - 20]; // blocks 1 and 2

        // Block 1 present, block 2 missing: the read over both is refused whole.
        await cache.EnsureReadableAsync(id, 1, _source, CancellationToken.None);
        var before = cache.Statistics;
        Assert.False(cache.TryReadReady(id, BlockSize + 10, buffer, out var refused));
        Assert.Equal(0, refused);
        Assert.Equal(1, _source.Reads);
        Assert.Equal(before.BlockHits, cache.Statistics.BlockHits);

        await cache.EnsureReadableAsync(id, 2, _source, CancellationToken.None);
        Assert.True(cache.TryReadReady(id, BlockSize + 10, buffer, out var read));
        Assert.Equal(buffer.Length, read);
        Assert.Equal(TestContent.Bytes("a", BlockSize + 10, buffer.Length), buffer);
        Assert.Equal(before.BlockHits + 2, cache.Statistics.BlockHits);
        Assert.Equal(2, _source.Reads);

        // Past the end: nothing to read, answered at once.
        Assert.True(cache.TryReadReady(id, id.Size, buffer, out var none));
        Assert.Equal(0, none);
    }
}
