using HcpModelFs.Core.Cache;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>Per-block checksums from the manifest (end-to-end checks) and what passthrough may be offered for.</summary>
public sealed class DiskBlockCacheChecksumTests : IDisposable
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _dir = new();
    private readonly CountingBlockSource _source = new();

    public void Dispose() => _dir.Dispose();

    private DiskBlockCache NewCache(ListLogger<DiskBlockCache>? logger = null) => new(
        new DiskBlockCacheOptions
        {
            Directory = _dir.Path, BlockSize = BlockSize, MinFreeDiskBytes = 0, AvailableFreeSpaceProbe = _ => long.MaxValue,
        },
        logger,
        new ManualTimeProvider());

    /// <summary>An object whose manifest recorded the CRCs of <see cref="TestContent"/>, optionally one of them wrong.</summary>
    private static CacheObjectId WithChecksums(string key, long size, long wrongBlock = -1)
    {
        var crcs = new uint[(size + BlockSize - 1) / BlockSize];
        for (var b = 0; b < crcs.Length; b++)
        {
            var length = (int)Math.Min(BlockSize, size - ((long)b * BlockSize));
            crcs[b] = Crc32C.Compute(TestContent.Bytes(key, (long)b * BlockSize, length)) ^ (b == wrongBlock ? 1u : 0u);
        }

        // A SHA-256 that cannot match: with per-block CRCs it must never be checked.
        return new CacheObjectId(key, "\"etag\"", size, new string('0', 64), BlockChecksums.From(BlockSize, crcs));
    }

    [Fact]
    public async Task Fetched_blocks_matching_the_manifest_are_served_and_the_file_is_not_hashed_again()
    {
        using var cache = NewCache();
        var id = WithChecksums("ok", (2 * BlockSize) + 10);
        var buffer = new byte[id.Size];

        Assert.Equal(id.Size, await cache.ReadAsync(id, 0, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        await cache.WhenBackgroundIdleAsync();

        Assert.Equal(TestContent.Bytes("ok", 0, (int)id.Size), buffer);
        Assert.Equal(0, cache.Statistics.VerificationsFailed + cache.Statistics.VerificationsPassed);
        Assert.Equal(id.Size, cache.Statistics.BytesCached);
    }

    [Fact]
    public async Task Fetched_block_not_matching_the_manifest_is_fetched_again_then_fails_and_is_never_cached()
    {
        var logger = new ListLogger<DiskBlockCache>();
        using var cache = NewCache(logger);
        var id = WithChecksums("bad", 3 * BlockSize, wrongBlock: 1);

        await Assert.ThrowsAsync<IOException>(() => cache.ReadAsync(id, BlockSize, new byte[100], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));

        Assert.Equal(2, _source.ReadsOf("bad", BlockSize));
        Assert.False(cache.IsBlockPresent(id, 1));
        Assert.Equal(2, cache.Statistics.CorruptBlocks);
        Assert.Equal(0, cache.Statistics.BytesCached);
        Assert.Equal(2, logger.Count(3210));

        // The neighbours are fine.
        Assert.Equal(100, await cache.ReadAsync(id, 0, new byte[100], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Block_on_disk_whose_recorded_crc_disagrees_with_the_manifest_is_missing_after_restart()
    {
        var size = 2L * BlockSize;
        var plain = new CacheObjectId("restart", "\"etag\"", size);
        using (var first = NewCache())
        {
            // Cached before the manifest had checksums; the content differs from what the manifest now says.
            await first.ReadAsync(plain, 0, new byte[size], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        }

        using var second = NewCache();
        var id = WithChecksums("restart", size, wrongBlock: 0);
        Assert.False(second.IsBlockPresent(id, 0));
        Assert.True(second.IsBlockPresent(id, 1));
    }

    [Fact]
    public async Task TryGetVerifiedFile_only_for_a_complete_object_checked_in_this_process()
    {
        var id = new CacheObjectId("whole", "\"etag\"", (2 * BlockSize) + 1);
        using (var first = NewCache())
        {
            Assert.False(first.TryGetVerifiedFile(id, out _));
            await first.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
            Assert.False(first.TryGetVerifiedFile(id, out _)); // partial

            await first.ReadAsync(id, 0, new byte[id.Size], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
            Assert.True(first.TryGetVerifiedFile(id, out var path));
            Assert.Equal(TestContent.Bytes("whole", 0, (int)id.Size), await File.ReadAllBytesAsync(path));
        }

        using var second = NewCache();
        Assert.False(second.TryGetVerifiedFile(id, out _)); // on disk, but not checked by this process yet
        await second.ReadAsync(id, 0, new byte[id.Size], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.True(second.TryGetVerifiedFile(id, out _));
        Assert.Equal(3, _source.Reads); // the restart re-read nothing from the source
    }

    [Fact]
    public async Task A_block_just_fetched_is_served_from_memory_and_its_buffer_returns_when_the_object_goes()
    {
        var id = new CacheObjectId("resident", "\"etag\"", 2 * BlockSize);
        var cache = NewCache();
        await cache.ReadAsync(id, 0, new byte[id.Size], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(2, cache.BlockBuffersOutstanding);

        // Overwrite the data file behind the cache's back: a pread would now see zeros, the in-memory copy does not.
        await File.WriteAllBytesAsync(cache.DataPathOf(id), new byte[id.Size]);
        var again = new byte[id.Size];
        Assert.Equal(id.Size, await cache.ReadAsync(id, 0, again, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(TestContent.Bytes("resident", 0, (int)id.Size), again);
        Assert.Equal(2, _source.Reads);

        cache.Dispose();
        Assert.Equal(0, cache.BlockBuffersOutstanding);
    }

    [Fact]
    public async Task Without_memory_for_blocks_reads_come_from_the_cache_file()
    {
        var id = new CacheObjectId("file", "\"etag\"", 2 * BlockSize);
        using var cache = new DiskBlockCache(new DiskBlockCacheOptions
        {
            Directory = _dir.Path, BlockSize = BlockSize, MinFreeDiskBytes = 0, MemoryBytes = 0, AvailableFreeSpaceProbe = _ => long.MaxValue,
        });
        await cache.ReadAsync(id, 0, new byte[id.Size], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(0, cache.BlockBuffersOutstanding);

        var again = new byte[id.Size];
        await cache.ReadAsync(id, 0, again, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(TestContent.Bytes("file", 0, (int)id.Size), again);
        Assert.Equal(2, _source.Reads);
    }

    [Fact]
    public async Task TryLend_lends_exact_bytes_of_a_resident_block_and_holds_its_buffer_until_released()
    {
        using var cache = NewCache();
        var id = new CacheObjectId("lend", "\"etag\"", 2 * BlockSize);
        Assert.False(cache.TryLend(id, 0, 10, out _)); // nothing fetched yet
        await cache.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.True(cache.TryLend(id, 100, 200, out var lease));
        Assert.Equal(TestContent.Bytes("lend", 100, 200), lease.Memory.ToArray());
        Assert.False(cache.TryLend(id, BlockSize - 10, 20, out _)); // spans two blocks
        Assert.False(cache.TryLend(id, BlockSize, 10, out _)); // block 1 is not in memory

        cache.Dispose(); // the lease still holds the buffer
        Assert.Equal(1, cache.BlockBuffersOutstanding);
        BlockLease.Release(lease.Owner);
        Assert.Equal(0, cache.BlockBuffersOutstanding);
    }

    [Fact]
    public async Task A_read_that_waits_for_its_fetch_is_lent_from_the_fetched_block_and_one_across_blocks_is_copied()
    {
        using var cache = NewCache();
        var id = WithChecksums("lend-wait", 2 * BlockSize);

        var waited = await cache.ReadOrLendAsync(id, 100, new byte[200], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.True(waited.IsLent);
        Assert.Equal(TestContent.Bytes("lend-wait", 100, 200), waited.Lease.Memory.ToArray());
        Assert.Equal(1, cache.BlockBuffersOutstanding); // the resident copy and the lease share one buffer

        var across = new byte[20];
        var copied = await cache.ReadOrLendAsync(id, BlockSize - 10, across, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.False(copied.IsLent);
        Assert.Equal(TestContent.Bytes("lend-wait", BlockSize - 10, 20), across);

        cache.Dispose(); // the lease still holds its buffer
        Assert.Equal(1, cache.BlockBuffersOutstanding);
        BlockLease.Release(waited.Lease.Owner);
        Assert.Equal(0, cache.BlockBuffersOutstanding);
    }
}
