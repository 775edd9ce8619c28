using HcpModelFs.Core.Cache;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Issue 13 item 5, the narrow case the full-disk scenario hits only by timing: the disk is already full when an
/// object is first touched, so not even its sidecar can be created (ENOSPC on the header write). The cache must then
/// answer as for a block it could not keep — every read served from the source, uncached — never an error.
/// A real tmpfs filled to the last byte, so the ENOSPC is the kernel's.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FullDiskCacheFilesTests
{
    private const int BlockSize = 64 * 1024;

    [Fact]
    public async Task A_cache_whose_disk_is_full_before_the_first_read_serves_every_byte_uncached()
    {
        await using var disk = await Tmpfs.MountAsync(1 << 20);
        var directory = Path.Combine(disk.Path, "cache");
        Directory.CreateDirectory(Path.Combine(directory, "objects"));
        FillToTheLastByte(Path.Combine(disk.Path, "filler"));

        var id = new CacheObjectId("org/model/weights.bin", "etag-1", (3 * BlockSize) + 11);
        var source = new PatternSource();
        using var cache = new DiskBlockCache(new DiskBlockCacheOptions { Directory = directory, BlockSize = BlockSize, MinFreeDiskBytes = 0 });

        var probe = new byte[100];
        Assert.False(cache.TryReadReady(id, 0, probe, out var ready), "a read of an object with no files was answered as ready");
        Assert.Equal(0, ready);
        Assert.Equal(1, cache.FirstMissingBlock(id, 1, 3));
        Assert.Equal(2, cache.FirstUnreadableBlock(id, 2, 4));
        Assert.Equal(-1, cache.FirstMissingBlock(id, 2, 2));
        Assert.False(cache.TryGetVerifiedFile(id, out _));

        var whole = new byte[id.Size];
        var read = await cache.ReadAsync(id, 0, whole, source, CancellationToken.None);
        Assert.Equal(id.Size, read);
        var expected = new byte[id.Size];
        PatternSource.Fill(0, expected);
        Assert.True(expected.AsSpan().SequenceEqual(whole), "the uncached bytes differ from the source's");
        Assert.True(source.Reads > 0, "the source was never asked: the bytes did not come through the uncached path");
        Assert.Equal(0, cache.GetObjects().Sum(o => o.PresentBlocks));
    }

    private static void FillToTheLastByte(string path)
    {
        var chunk = new byte[64 * 1024];
        using var filler = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        for (var written = 0L; written < 2L << 20; written += chunk.Length)
        {
            try
            {
                filler.Write(chunk);
            }
            catch (IOException) when (chunk.Length > 1)
            {
                chunk = new byte[chunk.Length / 2];
            }
            catch (IOException)
            {
                return; // Not one more byte fits.
            }
        }

        Assert.Fail("a 1 MiB tmpfs took 2 MiB: it never filled up");
    }

    private sealed class PatternSource : IBlockSource
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public static void Fill(long offset, Span<byte> destination)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (byte)((offset + i) * 31 % 251);
            }
        }

        public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            Fill(offset, destination.Span);
            return ValueTask.CompletedTask;
        }
    }
}
