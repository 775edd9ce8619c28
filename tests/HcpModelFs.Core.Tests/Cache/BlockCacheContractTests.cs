using HcpModelFs.Core.Cache;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>
/// What every <see cref="IBlockCache"/> promises, run against each implementation: the disk cache the daemon uses and
/// the in-memory fake the filesystem's unit tests use (so the fake cannot drift from the real thing).
/// </summary>
public abstract class BlockCacheContractTests : IDisposable
{
    protected const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly CountingBlockSource _source = new();

    protected abstract IBlockCache Cache { get; }

    public virtual void Dispose()
    {
        Cache.Dispose();
        GC.SuppressFinalize(this);
    }

    private static CacheObjectId Object(string key, long size) => new(key, "\"etag-" + key + "\"", size);

    [Fact]
    public async Task ReadAsync_returns_exact_bytes_for_any_range_and_zero_past_the_end()
    {
        var id = Object("contract-a", (3 * BlockSize) + 77);
        foreach (var (offset, length) in new[] { (0L, 10), (BlockSize - 5L, 10), (1L, (3 * BlockSize) + 76), (3L * BlockSize, 500) })
        {
            var buffer = new byte[length];
            var n = await Cache.ReadAsync(id, offset, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
            var expected = (int)Math.Min(length, id.Size - offset);
            Assert.Equal(expected, n);
            Assert.Equal(TestContent.Bytes(id.Key, offset, expected), buffer[..n]);
        }

        Assert.Equal(0, await Cache.ReadAsync(id, id.Size, new byte[10], _source, CancellationToken.None));
    }

    [Fact]
    public async Task ReadOrLendAsync_answers_exact_bytes_lent_or_copied_and_fetches_each_block_once()
    {
        var id = Object("contract-lend", (2 * BlockSize) + 77);
        foreach (var (offset, length) in new[] { (10L, 100), (BlockSize - 5L, 10), (2L * BlockSize, 500), (10L, 100) })
        {
            var buffer = new byte[length];
            var read = await Cache.ReadOrLendAsync(id, offset, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
            var expected = (int)Math.Min(length, id.Size - offset);
            Assert.Equal(expected, read.Count);
            Assert.Equal(TestContent.Bytes(id.Key, offset, expected), read.IsLent ? read.Lease.Memory.ToArray() : buffer[..expected]);
            if (read.IsLent)
            {
                BlockLease.Release(read.Lease.Owner);
            }
        }

        Assert.Equal(1, _source.ReadsOf(id.Key, 0));
        Assert.Equal(1, _source.ReadsOf(id.Key, BlockSize));
        Assert.Equal(1, _source.ReadsOf(id.Key, 2 * BlockSize));
    }

    [Fact]
    public async Task Blocks_are_fetched_once_and_reported_present()
    {
        var id = Object("contract-b", 4 * BlockSize);
        Assert.False(Cache.IsBlockPresent(id, 1));
        Assert.Equal(0, Cache.FirstMissingBlock(id, 0, 4));

        await Cache.EnsureBlockAsync(id, 1, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        await Cache.ReadAsync(id, BlockSize, new byte[BlockSize], _source, CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.Equal(1, _source.ReadsOf(id.Key, BlockSize));
        Assert.True(Cache.IsBlockPresent(id, 1));
        Assert.Equal(2, Cache.FirstMissingBlock(id, 1, 4));
        Assert.Equal(-1, Cache.FirstMissingBlock(id, 1, 2));
    }

    [Fact]
    public async Task EnsureReadableAsync_fetches_a_missing_block_once_and_it_is_then_readable()
    {
        var id = Object("contract-r", 3 * BlockSize);
        Assert.Equal(0, Cache.FirstUnreadableBlock(id, 0, 3));

        await Cache.EnsureReadableAsync(id, 1, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        await Cache.EnsureReadableAsync(id, 1, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.Equal(1, _source.ReadsOf(id.Key, BlockSize));
        Assert.Equal(-1, Cache.FirstUnreadableBlock(id, 1, 2));
        Assert.Equal(2, Cache.FirstUnreadableBlock(id, 1, 3));
        Assert.Equal(0, Cache.FirstUnreadableBlock(id, 0, 3));
    }

    [Fact]
    public async Task Concurrent_readers_of_a_missing_block_share_one_fetch()
    {
        var id = Object("contract-c", BlockSize);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = Enumerable.Range(0, 4)
            .Select(_ => Cache.ReadAsync(id, 0, new byte[BlockSize], _source, CancellationToken.None).AsTask())
            .ToArray();
        await _source.GateReached.Task.WaitAsync(Timeout);
        _source.Gate.SetResult();

        Assert.All(await Task.WhenAll(readers).WaitAsync(Timeout), n => Assert.Equal(BlockSize, n));
        Assert.Equal(1, _source.Reads);
    }

    [Fact]
    public async Task A_failed_fetch_throws_and_the_next_read_fetches_again()
    {
        var id = Object("contract-d", BlockSize);
        _source.FailNext(1);

        await Assert.ThrowsAsync<IOException>(() => Cache.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.False(Cache.IsBlockPresent(id, 0));

        Assert.Equal(10, await Cache.ReadAsync(id, 0, new byte[10], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(2, _source.Reads);
    }
}

public sealed class DiskBlockCacheContractTests : BlockCacheContractTests
{
    private readonly TempDirectory _dir = new();
    private readonly DiskBlockCache _cache;

    public DiskBlockCacheContractTests()
    {
        _cache = new DiskBlockCache(new DiskBlockCacheOptions
        {
            Directory = _dir.Path, BlockSize = BlockSize, MinFreeDiskBytes = 0, AvailableFreeSpaceProbe = _ => long.MaxValue,
        });
    }

    protected override IBlockCache Cache => _cache;

    public override void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}

public sealed class InMemoryBlockCacheContractTests : BlockCacheContractTests
{
    private readonly InMemoryBlockCache _cache = new(BlockSize);

    protected override IBlockCache Cache => _cache;
}
