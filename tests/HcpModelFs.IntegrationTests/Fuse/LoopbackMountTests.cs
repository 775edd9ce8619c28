using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Fuse;

/// <summary>
/// A loopback filesystem mirroring a real directory must look, to find/stat/sha256sum, exactly like that directory
/// (minus write permission bits): the kernel is the reference.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class LoopbackMountTests
{
    [Fact]
    public async Task Loopback_mount_mirrors_names_types_sizes_and_bytes_of_a_real_directory()
    {
        var source = Directory.CreateTempSubdirectory("hcpfs-src-").FullName;
        try
        {
            var random = new Random(7);
            foreach (var (name, size) in new (string, int)[]
            {
                ("a.bin", 0), ("b.bin", 1), ("c.bin", 131_073), ("sub/d.bin", 2_000_001), ("sub/deeper/e.txt", 17),
                ("sub/ünïcödé name.txt", 4096), ("big.bin", 9_437_185),
            })
            {
                var path = Path.Combine(source, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var bytes = new byte[size];
                random.NextBytes(bytes);
                await File.WriteAllBytesAsync(path, bytes);
            }

            Directory.CreateDirectory(Path.Combine(source, "empty"));
            File.CreateSymbolicLink(Path.Combine(source, "link-to-b"), "b.bin");

            await using var mount = await FuseTestMount.StartAsync(["loopback", source]);
            // Directory sizes are filesystem-specific (ext4 says 4096, we say 0): compare them by type only.
            const string Describe = "find . -mindepth 1 \\( -type d -printf '%P|d\\n' \\) -o -printf '%P|%y|%s\\n' | LC_ALL=C sort";
            var expected = await ProcessRunner.ShellAsync($"cd '{source}' && {Describe}");
            var actual = await ProcessRunner.ShellAsync($"cd '{mount.MountPoint}' && {Describe}");
            Assert.Equal(0, actual.ExitCode);
            Assert.Equal(expected.StandardOutput, actual.StandardOutput);

            const string Digests = "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum";
            var expectedDigests = await ProcessRunner.ShellAsync($"cd '{source}' && {Digests}");
            var actualDigests = await ProcessRunner.ShellAsync($"cd '{mount.MountPoint}' && {Digests}");
            Assert.Equal(0, actualDigests.ExitCode);
            Assert.Equal(expectedDigests.StandardOutput, actualDigests.StandardOutput);

            var link = await ProcessRunner.RunAsync("readlink", Path.Combine(mount.MountPoint, "link-to-b"));
            Assert.Equal("b.bin", link.StandardOutput.Trim());
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }
}
