using HcpModelFs.Core.Cache;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class DiskBlockCacheTests : IDisposable
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _dir = new();
    private readonly CountingBlockSource _source = new();

    public void Dispose() => _dir.Dispose();

    private static CacheObjectId Object(string key, long size, string? sha256 = null) => new(key, "\"etag-" + key + "\"", size, sha256);

    private DiskBlockCache NewCache(
        long maxBytes = 0, Func<string, long>? freeSpace = null, int blockSize = BlockSize, long minFree = 0,
        ListLogger<DiskBlockCache>? logger = null, int? maxFetches = null)
        => new(
            new DiskBlockCacheOptions
            {
                Directory = _dir.Path,
                BlockSize = blockSize,
                MaxBytes = maxBytes,
                MinFreeDiskBytes = minFree,
                MaxConcurrentFetches = maxFetches,
                AvailableFreeSpaceProbe = freeSpace ?? (_ => long.MaxValue),
            },
            logger,
            new ManualTimeProvider());

    private static async Task<byte[]> ReadAllAsync(IBlockCache cache, CacheObjectId id, IBlockSource source)
    {
        var buffer = new byte[id.Size + 100];
        var n = await cache.ReadAsync(id, 0, buffer, source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(id.Size, n);
        return buffer[..n];
    }

    private static async Task AssertReadsContentAsync(IBlockCache cache, CacheObjectId id, IBlockSource source)
        => Assert.Equal(TestContent.Bytes(id.Key, 0, (int)id.Size), await ReadAllAsync(cache, id, source));

    // ---- reading ----

    [Fact]
    public async Task ReadAsync_missing_blocks_are_fetched_once_and_served_exactly()
    {
        using var cache = NewCache();
        var id = Object("a", (3 * BlockSize) + 123);

        await AssertReadsContentAsync(cache, id, _source);
        Assert.Equal(4, _source.Reads);
        await AssertReadsContentAsync(cache, id, _source);
        Assert.Equal(4, _source.Reads);

        var stats = cache.Statistics;
        Assert.Equal(id.Size, stats.BytesCached);
        Assert.Equal(4, stats.BlockMisses);
        Assert.Equal(4, stats.BlockHits);
        Assert.Equal(4, stats.Fetches);
        Assert.Equal(1, stats.Objects);
    }

    [Fact]
    public async Task ReadAsync_unaligned_range_across_blocks_returns_exact_bytes()
    {
        using var cache = NewCache();
        var id = Object("a", 5 * BlockSize);
        var buffer = new byte[(2 * BlockSize) + 50];

        var n = await cache.ReadAsync(id, BlockSize - 25, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.Equal(buffer.Length, n);
        Assert.Equal(TestContent.Bytes("a", BlockSize - 25, buffer.Length), buffer);
        Assert.Equal(4, _source.Reads); // blocks 0..3
    }

    [Fact]
    public async Task ReadAsync_at_or_after_end_returns_zero_and_near_end_returns_the_tail()
    {
        using var cache = NewCache();
        var id = Object("a", BlockSize + 10);
        var buffer = new byte[100];

        Assert.Equal(0, await cache.ReadAsync(id, id.Size, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(0, await cache.ReadAsync(id, id.Size + 5000, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(0, _source.Reads);
        Assert.Equal(4, await cache.ReadAsync(id, id.Size - 4, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(TestContent.Bytes("a", id.Size - 4, 4), buffer[..4]);
    }

    [Fact]
    public async Task ReadAsync_concurrent_readers_of_a_missing_block_share_one_fetch()
    {
        using var cache = NewCache();
        var id = Object("a", 2 * BlockSize);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Each call runs synchronously until it waits on the block, so all eight are waiting together.
        var buffers = Enumerable.Range(0, 8).Select(_ => new byte[1000]).ToArray();
        var reads = buffers.Select((b, i) => cache.ReadAsync(id, BlockSize + (i * 100), b, _source, CancellationToken.None).AsTask()).ToArray();
        await _source.GateReached.Task.WaitAsync(Timeout);
        Assert.All(reads, r => Assert.False(r.IsCompleted));

        _source.Gate.SetResult();
        await Task.WhenAll(reads).WaitAsync(Timeout);

        Assert.Equal(1, _source.Reads);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(TestContent.Bytes("a", BlockSize + (i * 100), 1000), buffers[i]);
        }
    }

    [Fact]
    public async Task ReadAsync_cancelled_reader_does_not_cancel_the_fetch_another_reader_waits_for()
    {
        using var cache = NewCache();
        var id = Object("a", BlockSize);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        var leaving = cache.ReadAsync(id, 0, new byte[10], _source, cts.Token).AsTask();
        var staying = new byte[10];
        var stayingRead = cache.ReadAsync(id, 0, staying, _source, CancellationToken.None).AsTask();
        await _source.GateReached.Task.WaitAsync(Timeout);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(Timeout));

        _source.Gate.SetResult();
        Assert.Equal(10, await stayingRead.WaitAsync(Timeout));
        Assert.Equal(TestContent.Bytes("a", 0, 10), staying);
        Assert.Equal(1, _source.Reads);
    }

    [Fact]
    public async Task ReadAsync_failed_fetch_throws_and_a_later_read_fetches_again()
    {
        using var cache = NewCache();
        var id = Object("a", BlockSize);
        _source.FailNext(1);

        await Assert.ThrowsAsync<IOException>(() => cache.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.False(cache.IsBlockPresent(id, 0));
        Assert.Equal(0, cache.Statistics.BytesCached);

        await AssertReadsContentAsync(cache, id, _source);
        Assert.Equal(2, _source.Reads);
    }

    [Fact]
    public async Task IsBlockPresent_is_false_while_the_fetch_runs_and_true_once_committed()
    {
        using var cache = NewCache();
        var id = Object("a", 2 * BlockSize);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var ensure = cache.EnsureBlockAsync(id, 1, _source, CancellationToken.None).AsTask();
        await _source.GateReached.Task.WaitAsync(Timeout);
        Assert.False(cache.IsBlockPresent(id, 1));

        _source.Gate.SetResult();
        await ensure.WaitAsync(Timeout);
        Assert.True(cache.IsBlockPresent(id, 1));
        Assert.False(cache.IsBlockPresent(id, 0));
    }

    [Fact]
    public async Task EnsureBlockAsync_present_block_does_not_fetch_again()
    {
        using var cache = NewCache();
        var id = Object("a", 2 * BlockSize);
        await cache.EnsureBlockAsync(id, 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        await cache.EnsureBlockAsync(id, 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(1, _source.Reads);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.IsBlockPresent(id, 2));
    }

    [Fact]
    public async Task EnsureBlockAsync_with_MaxConcurrentFetches_holds_further_source_reads()
    {
        using var cache = NewCache(maxFetches: 1);
        var id = Object("a", 3 * BlockSize);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = cache.EnsureBlockAsync(id, 0, _source, CancellationToken.None).AsTask();
        var second = cache.EnsureBlockAsync(id, 1, _source, CancellationToken.None).AsTask();
        await _source.GateReached.Task.WaitAsync(Timeout);
        Assert.Equal(1, _source.Reads);

        _source.Gate.SetResult();
        await Task.WhenAll(first, second).WaitAsync(Timeout);
        Assert.Equal(2, _source.Reads);
    }

    [Fact]
    public async Task A_source_that_is_not_ready_yet_holds_no_fetch_slot_while_it_waits()
    {
        using var cache = NewCache(maxFetches: 1);
        var waitingFor = Object("a", 3 * BlockSize);
        _source.ReadyGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.ReadyGatedKey = "a";

        var waiting = cache.EnsureBlockAsync(waitingFor, 1, _source, CancellationToken.None).AsTask();
        await _source.ReadyGateReached.Task.WaitAsync(Timeout);

        // With the wait inside the one fetch slot this fetch would queue behind it until the timeout.
        await cache.EnsureBlockAsync(Object("b", BlockSize), 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, _source.Reads);

        _source.ReadyGate.SetResult();
        await waiting.WaitAsync(Timeout);
        Assert.Equal(2, _source.Reads);
        Assert.True(cache.IsBlockPresent(waitingFor, 1));
    }

    [Fact]
    public void Constructor_without_a_floor_uses_ten_percent_of_the_file_system()
    {
        using var cache = new DiskBlockCache(new DiskBlockCacheOptions { Directory = _dir.Path });
        var drive = new DriveInfo(_dir.Path);
        Assert.True(drive.TotalSize > 0);
        Assert.Equal(drive.TotalSize / 10, cache.MinFreeDiskBytes);
        Assert.Equal(DiskBlockCacheOptions.DefaultBlockSize, cache.BlockSize);
    }

    [Fact]
    public async Task Dispose_cancels_in_flight_fetches_and_later_calls_throw()
    {
        var cache = NewCache();
        var id = Object("a", BlockSize);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = cache.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask();
        await _source.GateReached.Task.WaitAsync(Timeout);

        await Task.Run(cache.Dispose).WaitAsync(Timeout);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));
        Assert.Throws<ObjectDisposedException>(() => cache.Pin(id));
        Assert.ThrowsAny<ObjectDisposedException>(() => cache.IsBlockPresent(id, 0));
    }

    // ---- restart, sidecar, torn writes, corruption ----

    [Fact]
    public async Task ReadAsync_after_restart_serves_cached_blocks_with_zero_source_reads()
    {
        var id = Object("a", (3 * BlockSize) + 7);
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
        }

        var afterRestart = new CountingBlockSource();
        using var second = NewCache();
        Assert.Equal(1, second.Statistics.Objects);
        await AssertReadsContentAsync(second, id, afterRestart);

        Assert.Equal(0, afterRestart.Reads);
        Assert.Equal(id.Size, second.Statistics.BytesCached);
        Assert.True(second.IsBlockPresent(id, 3));
    }

    [Fact]
    public async Task EnsureReadableAsync_after_restart_checks_a_block_on_disk_without_the_source()
    {
        var id = Object("a", 3 * BlockSize);
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
        }

        var afterRestart = new CountingBlockSource();
        using var second = NewCache();
        Assert.Equal(-1, second.FirstMissingBlock(id, 0, 3));
        Assert.Equal(0, second.FirstUnreadableBlock(id, 0, 3)); // on disk, not checked by this process

        await second.EnsureReadableAsync(id, 1, afterRestart, CancellationToken.None);

        Assert.Equal(1, second.ChecksumChecks);
        Assert.Equal(-1, second.FirstUnreadableBlock(id, 1, 2));
        Assert.Equal(2, second.FirstUnreadableBlock(id, 1, 3));
        Assert.Equal(0, afterRestart.Reads);
        var buffer = new byte[BlockSize];
        await second.ReadAsync(id, BlockSize, buffer, afterRestart, CancellationToken.None);
        Assert.Equal(TestContent.Bytes(id.Key, BlockSize, BlockSize), buffer);
        Assert.Equal(1, second.ChecksumChecks); // the reader found it checked
    }

    [Fact]
    public async Task ReadAsync_present_block_is_checksummed_once_per_process_not_per_read()
    {
        var id = Object("a", 2 * BlockSize);
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
            Assert.Equal(0, first.ChecksumChecks); // written by this process: already verified
        }

        using var second = NewCache();
        var buffer = new byte[128];
        for (var i = 0; i < 20; i++)
        {
            await second.ReadAsync(id, i * 128, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        }

        Assert.Equal(1, second.ChecksumChecks);
        Assert.Equal(2, _source.Reads);
    }

    [Fact]
    public async Task ReadAsync_corrupted_block_on_disk_is_detected_fetched_again_and_never_served()
    {
        var id = Object("a", 3 * BlockSize);
        string dataPath;
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
            dataPath = first.DataPathOf(id);
        }

        using (var stream = new FileStream(dataPath, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = BlockSize + 77;
            var b = stream.ReadByte();
            stream.Position = BlockSize + 77;
            stream.WriteByte((byte)(b ^ 0x5A));
        }

        var logger = new ListLogger<DiskBlockCache>();
        var afterRestart = new CountingBlockSource();
        using (var second = NewCache(logger: logger))
        {
            await AssertReadsContentAsync(second, id, afterRestart);
            Assert.Equal(1, afterRestart.Reads);
            Assert.Equal(1, afterRestart.ReadsOf("a", BlockSize));
            Assert.Equal(1, second.Statistics.CorruptBlocks);
            Assert.Equal(1, logger.Count(3201));
            Assert.Equal(id.Size, second.Statistics.BytesCached);
        }

        var third = new CountingBlockSource();
        using var repaired = NewCache();
        await AssertReadsContentAsync(repaired, id, third);
        Assert.Equal(0, third.Reads);
        Assert.Equal(0, repaired.Statistics.CorruptBlocks);
    }

    [Fact]
    public async Task ReadAsync_slot_recorded_but_data_lost_in_a_crash_is_refetched()
    {
        var id = Object("a", 3 * BlockSize);
        string dataPath;
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
            dataPath = first.DataPathOf(id);
        }

        // Unsynced data pages lost, the sidecar's slots kept: block 1 reads as zeros, block 2 is gone entirely.
        using (var stream = new FileStream(dataPath, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(BlockSize);
            stream.SetLength(2 * BlockSize);
        }

        var afterRestart = new CountingBlockSource();
        using var second = NewCache();
        await AssertReadsContentAsync(second, id, afterRestart);
        Assert.Equal(2, afterRestart.Reads);
        Assert.Equal(2, second.Statistics.CorruptBlocks);
    }

    [Fact]
    public async Task ReadAsync_torn_write_with_data_but_no_slot_is_a_missing_block()
    {
        var id = Object("a", 2 * BlockSize);
        string dataPath;
        using (var first = NewCache())
        {
            await first.EnsureBlockAsync(id, 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
            dataPath = first.DataPathOf(id);
        }

        // A crash after the data write, before the slot: garbage (or even right) bytes at block 1, no slot.
        using (var stream = new FileStream(dataPath, FileMode.Open, FileAccess.Write))
        {
            stream.Position = BlockSize;
            stream.Write(Enumerable.Repeat((byte)0xEE, BlockSize).ToArray());
        }

        var afterRestart = new CountingBlockSource();
        using var second = NewCache();
        Assert.True(second.IsBlockPresent(id, 0));
        Assert.False(second.IsBlockPresent(id, 1));
        await AssertReadsContentAsync(second, id, afterRestart);
        Assert.Equal(1, afterRestart.Reads);
        Assert.Equal(1, afterRestart.ReadsOf("a", BlockSize));
    }

    [Fact]
    public async Task Restart_with_a_sidecar_for_other_size_is_discarded_with_its_data()
    {
        var id = Object("a", 2 * BlockSize);
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
        }

        var logger = new ListLogger<DiskBlockCache>();
        var afterRestart = new CountingBlockSource();
        var resized = id with { Size = (2 * BlockSize) - 100 };
        using var second = NewCache(logger: logger);
        Assert.False(second.IsBlockPresent(resized, 0));
        await AssertReadsContentAsync(second, resized, afterRestart);
        Assert.Equal(2, afterRestart.Reads);
        Assert.Equal(1, logger.Count(3205));
        Assert.Equal(resized.Size, new FileInfo(second.DataPathOf(resized)).Length);
    }

    [Fact]
    public async Task Restart_with_another_block_size_discards_and_refetches()
    {
        var id = Object("a", 4 * BlockSize);
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
        }

        var afterRestart = new CountingBlockSource();
        using var second = NewCache(blockSize: 2 * BlockSize);
        await AssertReadsContentAsync(second, id, afterRestart);
        Assert.Equal(2, afterRestart.Reads);
    }

    [Fact]
    public async Task Restart_removes_data_files_without_sidecars()
    {
        var id = Object("a", BlockSize);
        string metaPath;
        string dataPath;
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, id, _source);
            metaPath = first.SidecarPathOf(id);
            dataPath = first.DataPathOf(id);
        }

        File.Delete(metaPath);
        using var second = NewCache();
        Assert.False(File.Exists(dataPath));
        Assert.Equal(0, second.Statistics.Objects);
        await AssertReadsContentAsync(second, id, _source);
        Assert.Equal(2, _source.Reads);
    }

    [Fact]
    public async Task Cache_files_can_be_opened_by_another_reader_while_the_cache_runs()
    {
        using var cache = NewCache();
        var id = Object("a", BlockSize + 1);
        await AssertReadsContentAsync(cache, id, _source);

        using (var data = new FileStream(cache.DataPathOf(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var bytes = new byte[id.Size];
            data.ReadExactly(bytes);
            Assert.Equal(TestContent.Bytes("a", 0, (int)id.Size), bytes);
        }

        using var meta = new FileStream(cache.SidecarPathOf(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var header = new byte[meta.Length];
        meta.ReadExactly(header);
        Assert.True(BlockSidecar.TryParseHeader(header, out var key, out var etag, out var size, out var blockSize));
        Assert.Equal((id.Key, id.ETag, id.Size, BlockSize), (key, etag, size, blockSize));
    }

    // ---- whole-file verification ----

    [Fact]
    public async Task Completed_object_with_matching_sha256_is_verified_once()
    {
        using var cache = NewCache();
        var size = (2 * BlockSize) + 300;
        var id = Object("a", size, TestContent.Sha256Hex("a", size));

        await AssertReadsContentAsync(cache, id, _source);
        await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);

        Assert.Equal(1, cache.Statistics.VerificationsPassed);
        Assert.Equal(0, cache.Statistics.VerificationsFailed);
        Assert.True(cache.IsBlockPresent(id, 2));
        Assert.Equal(size, cache.Statistics.BytesCached);
    }

    [Fact]
    public async Task Completed_object_with_wrong_sha256_drops_all_blocks_and_refetches_later()
    {
        var logger = new ListLogger<DiskBlockCache>();
        using var cache = NewCache(logger: logger);
        var size = (2 * BlockSize) + 300;
        var wrong = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("other content"u8));
        var id = Object("a", size, wrong);

        // Filled the way the prefetcher does it (a reader would re-fetch a block dropped under its feet).
        for (var block = 0; block < 3; block++)
        {
            await cache.EnsureBlockAsync(id, block, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        }

        await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);

        Assert.True(cache.Statistics.VerificationsFailed == 1, string.Join("\n", logger.Events));
        Assert.Equal(0, cache.Statistics.VerificationsPassed);
        Assert.Equal(1, logger.Count(3202));
        Assert.Equal(0, cache.Statistics.BytesCached);
        for (var i = 0; i < 3; i++)
        {
            Assert.False(cache.IsBlockPresent(id, i));
        }

        var buffer = new byte[10];
        await cache.ReadAsync(id, BlockSize, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(4, _source.Reads);
        Assert.Equal(TestContent.Bytes("a", BlockSize, 10), buffer);
    }

    [Fact]
    public async Task Partially_cached_object_is_not_hashed()
    {
        using var cache = NewCache();
        var id = Object("a", 3 * BlockSize, TestContent.Sha256Hex("a", 3 * BlockSize));
        await cache.EnsureBlockAsync(id, 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);
        Assert.Equal(0, cache.Statistics.VerificationsPassed + cache.Statistics.VerificationsFailed);
    }

    // ---- eviction ----

    [Fact]
    public async Task Eviction_over_the_byte_limit_removes_the_least_recent_object_and_it_is_refetched()
    {
        var a = Object("a", 3 * BlockSize);
        var b = Object("b", 3 * BlockSize);
        using var cache = NewCache(maxBytes: 4 * BlockSize);

        await AssertReadsContentAsync(cache, a, _source);
        var aData = cache.DataPathOf(a);
        await AssertReadsContentAsync(cache, b, _source);

        Assert.Equal(1, cache.Statistics.Evictions);
        Assert.False(File.Exists(aData));
        Assert.False(File.Exists(aData + ".meta"));
        Assert.True(cache.Statistics.BytesCached <= 4 * BlockSize);
        await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "trash")));
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(_dir.Path, "objects")).Count());

        await AssertReadsContentAsync(cache, a, _source);
        Assert.Equal(9, _source.Reads);
        Assert.True(cache.Statistics.BytesCached <= 4 * BlockSize);
    }

    [Fact]
    public async Task Eviction_picks_the_least_recently_used_object()
    {
        var a = Object("a", BlockSize);
        var b = Object("b", BlockSize);
        var c = Object("c", BlockSize);
        var d = Object("d", BlockSize);
        using var cache = NewCache(maxBytes: 3 * BlockSize);

        await AssertReadsContentAsync(cache, a, _source);
        await AssertReadsContentAsync(cache, b, _source);
        await AssertReadsContentAsync(cache, c, _source);
        await AssertReadsContentAsync(cache, a, _source); // a is now more recent than b
        await AssertReadsContentAsync(cache, d, _source);

        Assert.True(cache.IsBlockPresent(a, 0));
        Assert.False(File.Exists(cache.DataPathOf(b)));
        Assert.True(cache.IsBlockPresent(c, 0));
        Assert.True(cache.IsBlockPresent(d, 0));
        Assert.Equal(1, cache.Statistics.Evictions);
    }

    [Fact]
    public async Task Eviction_skips_pinned_objects_until_the_lease_is_released()
    {
        var a = Object("a", 2 * BlockSize);
        var b = Object("b", 2 * BlockSize);
        var c = Object("c", 2 * BlockSize);
        using var cache = NewCache(maxBytes: 4 * BlockSize);

        var lease = cache.Pin(a);
        await AssertReadsContentAsync(cache, a, _source);
        await AssertReadsContentAsync(cache, b, _source);
        await AssertReadsContentAsync(cache, c, _source);

        Assert.True(File.Exists(cache.DataPathOf(a)));
        Assert.False(File.Exists(cache.DataPathOf(b)));

        lease.Dispose();
        lease.Dispose(); // idempotent
        await AssertReadsContentAsync(cache, b, _source);
        Assert.False(File.Exists(cache.DataPathOf(a)));
    }

    [Fact]
    public async Task Eviction_with_everything_pinned_overshoots_serves_the_read_and_logs_once()
    {
        var logger = new ListLogger<DiskBlockCache>();
        var a = Object("a", 2 * BlockSize);
        var b = Object("b", 3 * BlockSize);
        using var cache = NewCache(maxBytes: 3 * BlockSize, logger: logger);
        using var leaseA = cache.Pin(a);
        using var leaseB = cache.Pin(b);

        await AssertReadsContentAsync(cache, a, _source);
        await AssertReadsContentAsync(cache, b, _source);

        Assert.Equal(0, cache.Statistics.Evictions);
        Assert.Equal(5 * BlockSize, cache.Statistics.BytesCached);
        Assert.Equal(1, logger.Count(3207));
    }

    [Fact]
    public async Task At_the_free_disk_floor_with_everything_pinned_blocks_are_served_uncached_and_nothing_is_written()
    {
        var a = Object("a", 3 * BlockSize);
        using var cache = NewCache(freeSpace: _ => 50_000, minFree: 100_000);
        using var lease = cache.Pin(a);

        // The disk is the hard limit: the reader gets every byte, the cache keeps none of them.
        await AssertReadsContentAsync(cache, a, _source);
        await AssertReadsContentAsync(cache, a, _source);
        Assert.Equal(0, cache.Statistics.BytesCached);
        Assert.False(cache.IsBlockPresent(a, 0));
    }

    [Fact]
    public async Task Eviction_never_removes_an_object_with_a_read_in_flight()
    {
        var a = Object("a", 2 * BlockSize);
        var b = Object("b", 2 * BlockSize);
        using var cache = NewCache(maxBytes: 2 * BlockSize);
        await cache.EnsureBlockAsync(a, 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);

        var gated = new CountingBlockSource { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), GatedKey = "a" };
        var buffer = new byte[2 * BlockSize];
        var readA = cache.ReadAsync(a, 0, buffer, gated, CancellationToken.None).AsTask();
        await gated.GateReached.Task.WaitAsync(Timeout);

        await AssertReadsContentAsync(cache, b, _source); // needs room; a is busy, so it must not go
        Assert.Equal(0, cache.Statistics.Evictions);
        Assert.True(File.Exists(cache.DataPathOf(a)));

        gated.Gate.SetResult();
        Assert.Equal(buffer.Length, await readA.WaitAsync(Timeout));
        Assert.Equal(TestContent.Bytes("a", 0, buffer.Length), buffer);
    }

    [Fact]
    public async Task Eviction_below_the_free_disk_floor_removes_the_least_recent_object()
    {
        long free = 1_000_000;
        var a = Object("a", 3 * BlockSize);
        var b = Object("b", BlockSize);
        using var cache = NewCache(freeSpace: _ => Interlocked.Read(ref free), minFree: 100_000);

        await AssertReadsContentAsync(cache, a, _source);
        Interlocked.Exchange(ref free, 100_000 + BlockSize - 1); // the next block would cross the floor
        await AssertReadsContentAsync(cache, b, _source);

        Assert.Equal(1, cache.Statistics.Evictions);
        Assert.False(File.Exists(cache.DataPathOf(a)));
        Assert.True(cache.IsBlockPresent(b, 0));
    }

    [Fact]
    public async Task Restart_counts_objects_left_on_disk_against_the_limit()
    {
        var a = Object("a", 3 * BlockSize);
        var b = Object("b", 3 * BlockSize);
        using (var first = NewCache())
        {
            await AssertReadsContentAsync(first, a, _source);
        }

        using var second = NewCache(maxBytes: 4 * BlockSize);
        Assert.Equal(3 * BlockSize, second.Statistics.BytesCached);
        await AssertReadsContentAsync(second, b, _source);

        Assert.Equal(1, second.Statistics.Evictions);
        Assert.False(File.Exists(second.DataPathOf(a)));
        Assert.Equal(3 * BlockSize, second.Statistics.BytesCached);
    }

    [Fact]
    public async Task Clear_removes_idle_objects_and_keeps_pinned_ones()
    {
        var a = Object("a", BlockSize);
        var b = Object("b", BlockSize);
        using var cache = NewCache();
        await AssertReadsContentAsync(cache, a, _source);
        await AssertReadsContentAsync(cache, b, _source);
        using var lease = cache.Pin(b);

        Assert.Equal(1, cache.Clear());

        Assert.False(File.Exists(cache.DataPathOf(a)));
        Assert.True(cache.IsBlockPresent(b, 0));
        Assert.Equal(BlockSize, cache.Statistics.BytesCached);
        var objects = cache.GetObjects();
        Assert.Equal("b", Assert.Single(objects).Key);
        await AssertReadsContentAsync(cache, a, _source);
        Assert.Equal(3, _source.Reads);
    }

    // ---- memory and concurrency ----

    [Fact]
    public async Task Fetch_and_verify_buffers_all_go_back_to_the_pool()
    {
        var pool = new CountingArrayPool();
        var id = Object("a", 3 * BlockSize, TestContent.Sha256Hex("a", 3 * BlockSize));
        var options = new DiskBlockCacheOptions
        {
            Directory = _dir.Path, BlockSize = BlockSize, MinFreeDiskBytes = 0, BufferPool = pool,
            AvailableFreeSpaceProbe = _ => long.MaxValue,
        };
        using (var cache = new DiskBlockCache(options))
        {
            _source.FailNext(1);
            await Assert.ThrowsAsync<IOException>(() => cache.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));

            using var cts = new CancellationTokenSource();
            _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var cancelled = cache.ReadAsync(id, BlockSize, new byte[10], _source, cts.Token).AsTask();
            await _source.GateReached.Task.WaitAsync(Timeout);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Timeout));
            await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout); // the abandoned fetch has unwound
            Assert.Equal(0, pool.Outstanding);
            Assert.Equal(0, cache.BlockBuffersOutstanding);
            _source.Gate = null;

            await AssertReadsContentAsync(cache, id, _source);
            await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);
            Assert.Equal(1, cache.Statistics.VerificationsPassed);
            Assert.Equal(3, cache.BlockBuffersOutstanding); // the three blocks, resident in memory
        }

        var reopened = new DiskBlockCache(options);
        await AssertReadsContentAsync(reopened, id, _source); // sidecar slots + CRC checks (into block buffers)
        Assert.Equal(3, reopened.BlockBuffersOutstanding); // checked blocks stay resident for their readers
        reopened.Dispose();
        Assert.Equal(0, reopened.BlockBuffersOutstanding);

        Assert.True(pool.Rentals >= 2, $"{pool.Rentals} rentals"); // sidecar slots, whole-file hash
        Assert.Equal(0, pool.Outstanding);
    }

    /// <summary>A hit completes synchronously; anything else fails the test.</summary>
    private static int ReadHit(DiskBlockCache cache, CacheObjectId id, long offset, byte[] buffer, IBlockSource source)
    {
        var read = cache.ReadAsync(id, offset, buffer, source, CancellationToken.None);
        if (!read.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("a cache hit did not complete synchronously");
        }

        return read.Result;
    }

    [Fact]
    public async Task ReadAsync_hit_does_not_allocate()
    {
        using var cache = NewCache();
        var id = Object("a", 2 * BlockSize);
        var buffer = new byte[128];
        await cache.ReadAsync(id, 0, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        for (var i = 0; i < 100; i++)
        {
            ReadHit(cache, id, 64, buffer, _source); // warm up (JIT tiers)
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            if (ReadHit(cache, id, i % 3000, buffer, _source) != 128)
            {
                Assert.Fail("short read");
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated by 1000 cache hits");
    }

    [Fact]
    public async Task ReadAsync_many_threads_random_pattern_with_eviction_returns_expected_bytes()
    {
        var ids = new[]
        {
            Object("model-00001", (5 * BlockSize) + 123),
            Object("model-00002", 9 * BlockSize),
            Object("config.json", BlockSize - 7),
            Object("model-00003", (3 * BlockSize) + 1),
        };
        var source = new CountingBlockSource { Yield = true };
        using var cache = NewCache(maxBytes: 10 * BlockSize);

        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var random = new Random(1000 + worker);
            var buffer = new byte[3 * BlockSize];
            for (var op = 0; op < 60; op++)
            {
                var id = ids[random.Next(ids.Length)];
                if (random.Next(5) == 0)
                {
                    var block = random.NextInt64((id.Size + BlockSize - 1) / BlockSize);
                    await cache.EnsureBlockAsync(id, block, source, CancellationToken.None);
                    continue;
                }

                var offset = random.NextInt64(id.Size);
                var length = random.Next(1, buffer.Length);
                var n = await cache.ReadAsync(id, offset, buffer.AsMemory(0, length), source, CancellationToken.None);
                var expected = (int)Math.Min(length, id.Size - offset);
                Assert.Equal(expected, n);
                Assert.Equal(TestContent.Bytes(id.Key, offset, expected), buffer[..expected]);
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        // The limit is soft while every object is in use (8 readers, 4 objects: a reservation over-commits rather than
        // fail a read, CacheLedger.Reserve); the next fetch gives the over-commit back.
        var settle = Object("settle", 1);
        await cache.EnsureBlockAsync(settle, 0, source, CancellationToken.None);
        var stats = cache.Statistics;
        Assert.Equal(0, stats.CorruptBlocks);
        Assert.True(stats.BytesCached <= 10 * BlockSize, $"{stats.BytesCached} bytes cached");
        Assert.Equal(stats.Fetches, source.Reads);

        // What is left on disk is consistent: a restarted cache serves it without the source.
        cache.Dispose();
        var afterRestart = new CountingBlockSource();
        using var second = NewCache(maxBytes: 10 * BlockSize);
        foreach (var id in ids)
        {
            for (long block = 0; block * BlockSize < id.Size; block++)
            {
                if (second.IsBlockPresent(id, block))
                {
                    var length = (int)Math.Min(BlockSize, id.Size - (block * BlockSize));
                    var buffer = new byte[length];
                    await second.ReadAsync(id, block * BlockSize, buffer, afterRestart, CancellationToken.None).AsTask().WaitAsync(Timeout);
                    Assert.Equal(TestContent.Bytes(id.Key, block * BlockSize, length), buffer);
                }
            }
        }

        Assert.Equal(0, afterRestart.Reads);
        Assert.Equal(0, second.Statistics.CorruptBlocks);
    }
}
