using System.Globalization;
using HcpModelFs.FuseTestHost;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Fuse;

/// <summary>Mount, unmount and failure paths, each on its own mount.</summary>
[Collection(FuseCollection.Name)]
public sealed class MountLifecycleTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sigterm_unmounts_cleanly_and_the_daemon_exits_zero()
    {
        await using var mount = await FuseTestMount.StartAsync(["synthetic"]);
        Assert.True(MountCleanup.IsMounted(mount.MountPoint));
        Assert.Equal(0, await mount.StopAsync(Bounded));
        Assert.False(MountCleanup.IsMounted(mount.MountPoint));
    }

    [Fact]
    public async Task Unmount_while_a_reader_waits_gives_the_reader_an_error_not_a_hang()
    {
        await using var mount = await FuseTestMount.StartAsync(["synthetic"]);
        var reader = DaemonProcess.Start("cat", [Path.Combine(mount.MountPoint, SyntheticTree.StallFile)]);
        await using (reader)
        {
            // The daemon announces when the READ has reached it and is blocked.
            await mount.Daemon.WaitForLineAsync("STALL", Bounded);
            Assert.False(reader.HasExited);

            Assert.Equal(0, await mount.StopAsync(Bounded));
            Assert.True(await reader.WaitForExitAsync(Bounded), "the reader hung after unmount");
            Assert.NotEqual(0, reader.ExitCode);
            Assert.False(MountCleanup.IsMounted(mount.MountPoint));
        }
    }

    [Fact]
    public async Task Kill_9_leaves_a_dead_mount_that_a_fresh_daemon_cleans_and_replaces()
    {
        var mountPoint = Directory.CreateTempSubdirectory("hcpfs-kill-").FullName;
        try
        {
            var first = await FuseTestMount.StartAsync(["synthetic"], mountPoint);
            first.Daemon.Signal(FuseTestMount.SigKill);
            Assert.True(await first.Daemon.WaitForExitAsync(Bounded));

            // The kernel keeps the mount; every access now fails with ENOTCONN.
            var dead = await ProcessRunner.RunAsync("stat", mountPoint);
            Assert.NotEqual(0, dead.ExitCode);
            Assert.Contains("Transport endpoint is not connected", dead.StandardError, StringComparison.Ordinal);

            await using var second = await FuseTestMount.StartAsync(["synthetic"], mountPoint);
            var listing = await ProcessRunner.RunAsync("cat", Path.Combine(mountPoint, "one.bin"));
            Assert.Equal(0, listing.ExitCode);
            Assert.Contains("Cleaned up a stale mount", second.Daemon.StandardError, StringComparison.Ordinal);
            Assert.Single(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(" " + mountPoint + " ", StringComparison.Ordinal));
        }
        finally
        {
            await MountCleanup.EnsureUnmountedAsync(mountPoint);
            Directory.Delete(mountPoint);
        }
    }

    [Fact]
    public async Task Mounting_over_a_live_mount_is_refused()
    {
        await using var mount = await FuseTestMount.StartAsync(["synthetic"]);
        await using var second = FuseTestMount.StartDaemon(["synthetic"], mount.MountPoint);
        Assert.True(await second.WaitForExitAsync(Bounded));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already mounted", second.StandardError, StringComparison.Ordinal);
        var stillServing = await ProcessRunner.RunAsync("stat", "-c", "%s", Path.Combine(mount.MountPoint, "one.bin"));
        Assert.Equal("1", stillServing.StandardOutput.Trim());
    }

    [Fact]
    public async Task Reopened_file_is_served_from_the_page_cache_without_reads()
    {
        var (path, size, _) = SyntheticTree.Files.Single(f => f.Path == "odd-8388609.bin");
        await using var mount = await FuseTestMount.StartAsync(["synthetic", "--stats"]);
        var file = Path.Combine(mount.MountPoint, path);
        for (var i = 0; i < 3; i++)
        {
            var read = await ProcessRunner.RunAsync("cat", file);
            Assert.Equal(0, read.ExitCode);
        }

        Assert.Equal(0, await mount.StopAsync(Bounded));
        var requested = ParseReadBytes(await mount.Daemon.WaitForLineAsync("READSIZES", Bounded));
        // One pass reads the file once (rounded up to whole READs); KEEP_CACHE means passes 2 and 3 add nothing.
        Assert.InRange(requested, size, size + (1 << 20));
    }

    [Fact]
    public async Task Notifications_drop_stale_pages_push_new_ones_and_reveal_a_cached_missing_entry()
    {
        await using var mount = await FuseTestMount.StartAsync(["synthetic", "--stats"]);
        var generation = Path.Combine(mount.MountPoint, SyntheticTree.GenerationFile);
        var pushed = Path.Combine(mount.MountPoint, SyntheticTree.PushedFile);
        var late = Path.Combine(mount.MountPoint, SyntheticTree.LateFile);
        Assert.Equal(SyntheticTree.GenerationText(0), (await ProcessRunner.RunAsync("cat", generation)).StandardOutput);
        Assert.Equal(0, (await ProcessRunner.RunAsync("stat", pushed)).ExitCode);     // the kernel knows the inode
        Assert.NotEqual(0, (await ProcessRunner.RunAsync("stat", late)).ExitCode);    // a negative entry, cached 60 s

        mount.Daemon.Signal(1); // SIGHUP: the daemon changes its tree and notifies the kernel
        var notified = await mount.Daemon.WaitForLineAsync("NOTIFIED", Bounded);
        Assert.Equal("NOTIFIED inval_inode=Success store=Success inval_entry=Success", notified);

        // INVAL_INODE: the cached page of generation 0 is gone, despite KEEP_CACHE and a 60 s attribute timeout.
        Assert.Equal(SyntheticTree.GenerationText(1), (await ProcessRunner.RunAsync("cat", generation)).StandardOutput);
        // INVAL_ENTRY: the cached miss is forgotten and the new file found.
        var stat = await ProcessRunner.RunAsync("stat", "-c", "%s", late);
        Assert.True(stat.ExitCode == 0, stat.ToString());
        // STORE: pushed.bin is read from the page cache the daemon filled, with no READ for it.
        var expected = new byte[SyntheticTree.PushedSize];
        SyntheticContent.Fill(20, 0, expected);
        var digest = await ProcessRunner.RunAsync("sha256sum", pushed);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(expected)), digest.StandardOutput.Split(' ')[0]);

        Assert.Equal(0, await mount.StopAsync(Bounded));
        var requested = ParseReadBytes(await mount.Daemon.WaitForLineAsync("READSIZES", Bounded));
        Assert.True(requested < SyntheticTree.PushedSize, $"{requested} bytes were READ: pushed.bin did not come from the page cache");
    }

    [Fact]
    public async Task Fusermount3_path_mounts_and_unmounts_as_a_non_root_user()
    {
        await using var host = UnprivilegedHost.Create("hcpfs-nonroot-");
        await host.OpenToNobodyAsync();
        var mountPoint = host.MountPoint;
        await using var daemon = host.Start("synthetic", mountPoint, "--fusermount");
        await daemon.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        var line = File.ReadAllLines("/proc/self/mountinfo").Single(l => l.Contains(" " + mountPoint + " ", StringComparison.Ordinal));
        Assert.Contains("user_id=65534", line, StringComparison.Ordinal);
        Assert.Contains("fuse.hcpfs-test", line, StringComparison.Ordinal);
        Assert.Contains("Mounted " + mountPoint + " (fusermount3)", daemon.StandardError, StringComparison.Ordinal);

        // Without allow_other only the owner may enter the mount.
        var (_, size, seed) = SyntheticTree.Files.Single(f => f.Path == "odd-4097.bin");
        var read = await UnprivilegedHost.RunAsNobodyAsync(Bounded, "sha256sum", Path.Combine(mountPoint, "odd-4097.bin"));
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal(SyntheticContent.Sha256Hex(seed, size), read.StandardOutput.Split(' ')[0]);

        daemon.Signal(FuseTestMount.SigTerm);
        Assert.True(await daemon.WaitForExitAsync(Bounded), daemon.StandardError);
        Assert.Equal(0, daemon.ExitCode);
        Assert.False(MountCleanup.IsMounted(mountPoint), daemon.StandardError);
    }

    private static long ParseReadBytes(string line) =>
        line["READSIZES".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(':'))
            .Sum(p => long.Parse(p[0], CultureInfo.InvariantCulture) * long.Parse(p[1], CultureInfo.InvariantCulture));
}
