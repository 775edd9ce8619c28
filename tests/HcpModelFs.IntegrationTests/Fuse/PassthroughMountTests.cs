using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Fuse;

/// <summary>
/// FUSE passthrough (6.9+): OPEN answered with a backing file lets the kernel serve read(2) and mmap from that file,
/// so no READ reaches the daemon; where the kernel refuses (no CAP_SYS_ADMIN) the same open falls back to READs.
/// The daemon's request counter is the witness, and the no-passthrough test proves it counts.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class PassthroughMountTests
{
    private const string FileName = "weights.bin";
    private const int FileSize = (5 << 20) + 4097; // a few MiB, not page aligned
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Passthrough_open_serves_read_dd_and_mmap_from_the_backing_file_with_no_read_reaching_the_daemon()
    {
        var source = CreateSource(out var bytes);
        try
        {
            await using var mount = await FuseTestMount.StartAsync(["loopback", source, "--passthrough"]);
            AssertPassthroughGranted(mount.Daemon);
            var path = Path.Combine(mount.MountPoint, FileName);

            Assert.Equal(bytes, await File.ReadAllBytesAsync(path).WaitAsync(Bounded));
            var dd = await ProcessRunner.ShellAsync($"dd if='{path}' bs=1M status=none | sha256sum");
            Assert.True(dd.ExitCode == 0, dd.ToString());
            Assert.Equal(Sha256Hex(bytes), dd.StandardOutput.Split(' ')[0]);
            Assert.Equal(bytes, await Task.Run(() => MmapRead(path, bytes.Length)).WaitAsync(Bounded));

            Assert.Equal(0, await mount.StopAsync(Bounded));
            var requests = await mount.Daemon.WaitForLineAsync("REQUESTS", Bounded);
            Assert.True(Count(requests, "OPEN") >= 3, requests); // every open reached the daemon and got a backing id
            Assert.Equal(0, Count(requests, "READ"));
            Assert.DoesNotContain("PASSTHROUGH_REFUSED", mount.Daemon.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    [Fact]
    public async Task Without_passthrough_the_same_reads_reach_the_daemon_as_reads()
    {
        var source = CreateSource(out var bytes);
        try
        {
            await using var mount = await FuseTestMount.StartAsync(["loopback", source]);
            var path = Path.Combine(mount.MountPoint, FileName);

            Assert.Equal(bytes, await File.ReadAllBytesAsync(path).WaitAsync(Bounded));
            Assert.Equal(bytes, await Task.Run(() => MmapRead(path, bytes.Length)).WaitAsync(Bounded));

            Assert.Equal(0, await mount.StopAsync(Bounded));
            var requests = await mount.Daemon.WaitForLineAsync("REQUESTS", Bounded);
            Assert.True(Count(requests, "READ") > 0, requests);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    [Fact]
    public async Task Unprivileged_mount_is_refused_passthrough_with_eperm_and_serves_the_same_bytes_through_reads()
    {
        await using var host = UnprivilegedHost.Create("hcpfs-pt-nonroot-");
        var source = Path.Combine(host.Staging, "src");
        Directory.CreateDirectory(source);
        var bytes = WriteSourceFile(source);
        await host.OpenToNobodyAsync();

        await using var daemon = host.Start("loopback", source, host.MountPoint, "--fusermount", "--passthrough");
        await daemon.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        // INIT grants passthrough to anyone; only registering a backing file checks CAP_SYS_ADMIN.
        AssertPassthroughGranted(daemon);

        // Without allow_other only the owner may enter the mount.
        var read = await UnprivilegedHost.RunAsNobodyAsync(Bounded, "sha256sum", Path.Combine(host.MountPoint, FileName));
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal(Sha256Hex(bytes), read.StandardOutput.Split(' ')[0]);

        Assert.Equal("PASSTHROUGH_REFUSED EPERM", await daemon.WaitForLineAsync("PASSTHROUGH_REFUSED", Bounded));
        Assert.Contains("The kernel refused FUSE passthrough (EPERM)", daemon.StandardError, StringComparison.Ordinal);

        daemon.Signal(FuseTestMount.SigTerm);
        var requests = await daemon.WaitForLineAsync("REQUESTS", Bounded);
        Assert.True(Count(requests, "READ") > 0, requests);
        Assert.True(await daemon.WaitForExitAsync(Bounded), daemon.StandardError);
        Assert.Equal(0, daemon.ExitCode);
        Assert.False(MountCleanup.IsMounted(host.MountPoint), daemon.StandardError);
    }

    private static void AssertPassthroughGranted(DaemonProcess daemon) =>
        Assert.True(
            daemon.StandardOutput.Contains("PASSTHROUGH granted=True", StringComparison.Ordinal),
            "INIT did not grant FUSE_PASSTHROUGH: this kernel does not offer it (needs Linux >= 6.9 with " +
            $"CONFIG_FUSE_PASSTHROUGH); the passthrough tests cannot run here.\nstdout:\n{daemon.StandardOutput}\nstderr:\n{daemon.StandardError}");

    /// <summary>The value of OPCODE=N in the daemon's REQUESTS line; an opcode never seen is not listed, so 0.</summary>
    private static long Count(string requestsLine, string opcode)
    {
        foreach (var token in requestsLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var parts = token.Split('=');
            if (parts[0] == opcode)
            {
                return long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string CreateSource(out byte[] bytes)
    {
        // /tmp is the machine's ext4 disk: a non-stacked filesystem, as max_stack_depth 1 requires of backing files.
        var source = Directory.CreateTempSubdirectory("hcpfs-pt-src-").FullName;
        bytes = WriteSourceFile(source);
        return source;
    }

    private static byte[] WriteSourceFile(string directory)
    {
        var bytes = new byte[FileSize];
        new Random(37).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(directory, FileName), bytes);
        return bytes;
    }

    private static byte[] MmapRead(string path, int length)
    {
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        var copy = new byte[length];
        view.ReadArray(0, copy, 0, length);
        return copy;
    }

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
