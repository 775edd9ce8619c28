using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class CacheDirectoryLockTests
{
    [Fact]
    public void A_second_claim_on_a_held_directory_is_refused_and_names_the_holder()
    {
        using var dir = new TempDirectory();
        using var first = CacheDirectoryLock.TryAcquire(dir.Path, out var noHolder);
        Assert.NotNull(first);
        Assert.Null(noHolder);

        // A separate open file description conflicts as another process's would (flock is per open file, not per process).
        var second = CacheDirectoryLock.TryAcquire(dir.Path, out var holder);

        Assert.Null(second);
        Assert.Equal(Environment.ProcessId, holder);
        Assert.Contains(Path.GetFullPath(dir.Path), CacheDirectoryLock.DescribeHeld(dir.Path, holder), StringComparison.Ordinal);
    }

    [Fact]
    public void Released_lock_can_be_taken_again()
    {
        using var dir = new TempDirectory();
        CacheDirectoryLock.TryAcquire(dir.Path, out _)!.Dispose();

        using var again = CacheDirectoryLock.TryAcquire(dir.Path, out _);

        Assert.NotNull(again);
    }

    [Fact]
    public void Lock_of_one_directory_does_not_block_another()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var first = CacheDirectoryLock.TryAcquire(a.Path, out _);

        using var second = CacheDirectoryLock.TryAcquire(b.Path, out _);

        Assert.NotNull(first);
        Assert.NotNull(second);
    }

    [Fact]
    public void Lock_file_sits_beside_objects_where_the_cache_scan_never_touches_it()
    {
        using var dir = new TempDirectory();
        using (CacheDirectoryLock.TryAcquire(dir.Path, out _))
        {
            using var cache = new DiskBlockCache(new DiskBlockCacheOptions { Directory = dir.Path, BlockSize = 4096 });
        }

        Assert.True(File.Exists(Path.Combine(dir.Path, CacheDirectoryLock.LockFileName)));
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir.Path, CacheDirectoryLock.OwnerFileName)));
    }
}
