using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class CacheInspectorTests
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Inspect_reports_each_object_with_its_key_etag_and_present_bytes()
    {
        using var dir = new TempDirectory();
        var a = new CacheObjectId("models/acme/m/abc/a.bin", "c1", (BlockSize * 3) + 100);
        var b = new CacheObjectId("models/acme/m/abc/b.bin", "c1", 10);
        await FillAsync(dir.Path, (a, [0, 3]), (b, [0]));

        var snapshot = CacheInspector.Inspect(dir.Path);

        Assert.Equal([a.Key, b.Key], snapshot.Objects.Select(o => o.Key));
        var first = snapshot.Objects[0];
        Assert.Equal(("c1", a.Size, 4L, 2L, BlockSize + 100L), (first.ETag, first.Size, first.BlockCount, first.PresentBlocks, first.PresentBytes));
        Assert.Equal(BlockSize + 110, snapshot.PresentBytes);
        Assert.Equal(BlockSize + 100, snapshot.PresentBytesOf(a));
        Assert.Equal(0, snapshot.PresentBytesOf(a with { ETag = "other" }));
        Assert.Equal(0, snapshot.UnreadableSidecars);
    }

    [Fact]
    public async Task Inspect_while_a_cache_is_open_changes_no_file()
    {
        using var dir = new TempDirectory();
        var id = new CacheObjectId("models/acme/m/abc/a.bin", "c1", BlockSize * 2);
        using var cache = new DiskBlockCache(new DiskBlockCacheOptions { Directory = dir.Path, BlockSize = BlockSize });
        await cache.EnsureBlockAsync(id, 1, new CountingBlockSource(), CancellationToken.None).AsTask().WaitAsync(Bounded);
        File.WriteAllBytes(Path.Combine(dir.Path, "objects", new string('f', 40) + ".meta"), [1, 2, 3]); // not a sidecar
        var before = Listing(dir.Path);

        var snapshot = CacheInspector.Inspect(dir.Path);

        Assert.Equal(before, Listing(dir.Path));
        Assert.Equal(BlockSize, snapshot.PresentBytesOf(id));
        Assert.Equal(1, snapshot.UnreadableSidecars);
    }

    [Fact]
    public void Inspect_of_a_missing_directory_is_empty_and_creates_nothing()
    {
        var path = Path.Combine(Path.GetTempPath(), "hcpmodelfs-absent-" + Guid.NewGuid().ToString("N"));

        var snapshot = CacheInspector.Inspect(path);

        Assert.Empty(snapshot.Objects);
        Assert.False(Directory.Exists(path));
    }

    internal static async Task FillAsync(string directory, params (CacheObjectId Id, long[] Blocks)[] objects)
    {
        using var cache = new DiskBlockCache(new DiskBlockCacheOptions { Directory = directory, BlockSize = BlockSize });
        var source = new CountingBlockSource();
        foreach (var (id, blocks) in objects)
        {
            foreach (var block in blocks)
            {
                await cache.EnsureBlockAsync(id, block, source, CancellationToken.None).AsTask().WaitAsync(Bounded);
            }
        }
    }

    private static string Listing(string directory) => string.Join('\n', Directory
        .EnumerateFiles(directory, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal)
        .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));
}
