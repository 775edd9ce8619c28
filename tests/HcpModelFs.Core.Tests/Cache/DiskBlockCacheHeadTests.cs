using HcpModelFs.Core.Cache;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>
/// The head of a cold file (design §9 row 9): with a head CRC in the manifest, block 0 is fetched as the head and the
/// rest, and a reader of the first bytes is answered from the checked head without waiting for the rest.
/// </summary>
public sealed class DiskBlockCacheHeadTests : IDisposable
{
    private const int BlockSize = 4 * BlockChecksums.HeadBytes;
    private const int Head = BlockChecksums.HeadBytes;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _dir = new();
    private readonly CountingBlockSource _source = new();

    public void Dispose() => _dir.Dispose();

    private DiskBlockCache NewCache() => new(
        new DiskBlockCacheOptions
        {
            Directory = _dir.Path, BlockSize = BlockSize, MinFreeDiskBytes = 0, AvailableFreeSpaceProbe = _ => long.MaxValue,
        },
        null,
        new ManualTimeProvider());

    /// <summary>An object whose manifest recorded the CRCs of <see cref="TestContent"/>: per block, and of the head unless told.</summary>
    private static CacheObjectId Object(string key, long size, bool head = true)
    {
        var crcs = new uint[(size + BlockSize - 1) / BlockSize];
        for (var b = 0; b < crcs.Length; b++)
        {
            var length = (int)Math.Min(BlockSize, size - ((long)b * BlockSize));
            crcs[b] = Crc32C.Compute(TestContent.Bytes(key, (long)b * BlockSize, length));
        }

        uint? headCrc = head ? Crc32C.Compute(TestContent.Bytes(key, 0, Head)) : null;
        return new CacheObjectId(key, "\"etag\"", size, null, BlockChecksums.From(BlockSize, crcs, headCrc));
    }

    [Fact]
    public async Task A_read_of_the_head_is_answered_while_the_rest_of_block_0_is_still_being_fetched()
    {
        using var cache = NewCache();
        var id = Object("head", 2L * BlockSize);
        var gate = new TaskCompletionSource();
        _source.Gate = gate;
        _source.GatedOffset = Head; // the rest of block 0 waits; the head does not

        var buffer = new byte[4096];
        var read = await cache.ReadAsync(id, 100, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.Equal(4096, read);
        Assert.Equal(TestContent.Bytes("head", 100, 4096), buffer);
        Assert.False(cache.IsBlockPresent(id, 0)); // served before block 0 was complete
        gate.SetResult();
        await cache.EnsureReadableAsync(id, 0, _source, CancellationToken.None).AsTask().WaitAsync(Timeout);
        await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);

        // Every byte of block 0 fetched once: the head and the rest, no whole-block GET.
        Assert.Equal(1, _source.ReadsOf("head", 0));
        Assert.Equal(1, _source.ReadsOf("head", Head));
        Assert.Equal(2, _source.Reads);
        Assert.True(cache.IsBlockPresent(id, 0));
        var whole = new byte[BlockSize];
        Assert.Equal(BlockSize, await cache.ReadAsync(id, 0, whole, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(TestContent.Bytes("head", 0, BlockSize), whole);
    }

    [Fact]
    public async Task A_torn_head_is_never_served_the_block_is_fetched_again_whole_and_the_reader_gets_the_right_bytes()
    {
        using var cache = NewCache();
        var id = Object("torn", BlockSize);
        _source.CorruptNext(0, 1); // the head GET comes back torn; the whole-block retry (also at 0) does not
        var buffer = new byte[100];

        Assert.Equal(100, await cache.ReadAsync(id, 0, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));

        Assert.Equal(TestContent.Bytes("torn", 0, 100), buffer);
        Assert.Equal(1, cache.Statistics.CorruptBlocks);
        Assert.Equal(2, _source.ReadsOf("torn", 0)); // the torn head, then the whole block
        Assert.True(cache.IsBlockPresent(id, 0));
    }

    [Fact]
    public async Task A_head_torn_on_every_fetch_fails_the_read_and_caches_nothing()
    {
        using var cache = NewCache();
        var id = Object("bad", BlockSize);
        _source.CorruptNext(0, 2);

        await Assert.ThrowsAsync<IOException>(() => cache.ReadAsync(id, 0, new byte[100], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));

        Assert.False(cache.IsBlockPresent(id, 0));
        Assert.Equal(2, cache.Statistics.CorruptBlocks);
        Assert.Equal(0, cache.Statistics.BytesCached);
    }

    [Fact]
    public async Task Without_a_head_crc_or_for_a_read_past_the_head_block_0_is_one_get()
    {
        using var cache = NewCache();
        var plain = Object("plain", BlockSize, head: false);
        var past = Object("past", BlockSize);

        Assert.Equal(100, await cache.ReadAsync(plain, 0, new byte[100], _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        var buffer = new byte[100];
        Assert.Equal(100, await cache.ReadAsync(past, Head, buffer, _source, CancellationToken.None).AsTask().WaitAsync(Timeout));
        await cache.WhenBackgroundIdleAsync().WaitAsync(Timeout);

        Assert.Equal(TestContent.Bytes("past", Head, 100), buffer);
        Assert.Equal(1, _source.ReadsOf("plain", 0));
        Assert.Equal(0, _source.ReadsOf("plain", Head));
        Assert.Equal(2, _source.ReadsOf("past", 0) + _source.ReadsOf("past", Head)); // split by the loader, but the reader waited for the block
    }
}
