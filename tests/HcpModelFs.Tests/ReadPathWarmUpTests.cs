using HcpModelFs.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Tests;

/// <summary>The start-up read through a throwaway dispatcher, file system and cache leaves nothing behind.</summary>
public sealed class ReadPathWarmUpTests : IDisposable
{
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("hcpmodelfs-warmup-test-");

    public void Dispose() => _cache.Delete(recursive: true);

    [Fact]
    public async Task Reads_its_synthetic_file_and_removes_its_scratch_directory_and_leftovers()
    {
        var marker = Path.Combine(_cache.FullName, "objects", "keep");
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        await File.WriteAllTextAsync(marker, "x");
        var killedStart = Directory.CreateDirectory(Path.Combine(_cache.FullName, "warmup-1", "objects")); // a start killed mid-warm-up
        await File.WriteAllTextAsync(Path.Combine(killedStart.FullName, "stale"), "x");

        Assert.True(await ReadPathWarmUp.RunAsync(_cache.FullName, NullLogger.Instance, CancellationToken.None));

        // The real cache's files are untouched and no scratch directory (warmup-<pid>, its own or a leftover) is left.
        Assert.Equal([marker], Directory.EnumerateFileSystemEntries(_cache.FullName, "*", SearchOption.AllDirectories).Where(File.Exists));
        Assert.Equal(["objects"], Directory.EnumerateDirectories(_cache.FullName).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_cache_directory_it_cannot_write_is_a_false_result_not_an_exception()
    {
        var file = Path.Combine(_cache.FullName, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        Assert.False(await ReadPathWarmUp.RunAsync(file, NullLogger.Instance, CancellationToken.None));
    }
}
