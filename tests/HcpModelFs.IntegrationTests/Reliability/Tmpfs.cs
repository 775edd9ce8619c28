using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>A small tmpfs mounted for one test (needs root); disposing unmounts it on every path, lazily if still busy.</summary>
internal sealed class Tmpfs : IAsyncDisposable
{
    private Tmpfs(string path, long size)
    {
        Path = path;
        Size = size;
    }

    public string Path { get; }

    public long Size { get; }

    /// <summary>Bytes free on it now (statvfs).</summary>
    public long Free => new DriveInfo(Path).AvailableFreeSpace;

    public static async Task<Tmpfs> MountAsync(long size)
    {
        var path = Directory.CreateTempSubdirectory("hcpfs-tmpfs-").FullName;
        var result = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", path], TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"cannot mount a tmpfs (root needed): {result}");
        }

        return new Tmpfs(path, size);
    }

    public async ValueTask DisposeAsync()
    {
        var result = await ProcessRunner.RunAsync("umount", [Path], TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
        {
            await ProcessRunner.RunAsync("umount", ["-l", Path], TimeSpan.FromSeconds(30));
        }

        Directory.Delete(Path);
    }
}
