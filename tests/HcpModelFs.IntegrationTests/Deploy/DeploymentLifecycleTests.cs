using HcpModelFs.IntegrationTests.Fuse;
using HcpModelFs.Testing;
using HcpModelFs.Testing.Deployment;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Deploy;

/// <summary>
/// What the deployment files count on, against the real `hcpmodelfs mount` (embedded local-directory store, no S3):
/// READY=1 only once the mount answers and STOPPING=1 on SIGTERM (systemd Type=notify), and the unmount commands of
/// the rendered Kubernetes preStop hook and of the unit's ExecStopPost, run as written on a live and on a dead mount.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class DeploymentLifecycleTests : IDisposable
{
    private const string FuseSuperMagic = "65735546";
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("hcpfs-deploy-").FullName;

    private string MountPoint => Path.Combine(_root, "models");

    public void Dispose()
    {
        MountCleanup.EnsureUnmountedAsync(MountPoint).GetAwaiter().GetResult();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Ready_comes_once_the_mount_answers_and_stopping_on_sigterm_then_it_unmounts()
    {
        await using var daemon = await StartAsync();

        // At READY=1, another process's statfs must reach the daemon: the FUSE superblock, not the bare directory.
        var statfs = await ProcessRunner.RunAsync("stat", "-f", "-c", "%t", MountPoint);
        Assert.True(statfs.ExitCode == 0, statfs.ToString());
        Assert.Equal(FuseSuperMagic, statfs.StandardOutput.Trim());
        Assert.Equal(0, (await ProcessRunner.RunAsync("ls", "-A", MountPoint)).ExitCode);
        Assert.Contains(daemon.ReadyLines, l => l.StartsWith("STATUS=serving " + MountPoint, StringComparison.Ordinal));

        daemon.Process.Signal(SigTerm);
        await daemon.WaitForNotificationAsync("STOPPING=1", Bounded);
        Assert.True(await daemon.Process.WaitForExitAsync(Bounded), "the daemon did not exit after SIGTERM");
        Assert.Equal(0, daemon.Process.ExitCode);
        Assert.False(MountCleanup.IsMounted(MountPoint));
    }

    [Fact]
    public async Task Kubernetes_prestop_hook_detaches_a_live_mount_and_the_daemon_then_exits_zero()
    {
        var objects = await KustomizeRender.RenderAsync("daemonset");
        var daemonContainer = RenderedWorkload.From(objects).SelectMany(w => w.Containers).Single(c => c.IsDaemon);
        var hook = daemonContainer.PreStopCommand;
        Assert.Equal(["/bin/sh", "-c"], hook.Take(2));
        var script = hook[2].Replace(daemonContainer.Args[1], MountPoint, StringComparison.Ordinal);

        await using var daemon = await StartAsync();
        var run = await ProcessRunner.RunAsync(hook[0], [hook[1], script], Bounded);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(MountCleanup.IsMounted(MountPoint));

        // With its mount gone the daemon stops by itself, cleanly, as after SIGTERM.
        await daemon.WaitForNotificationAsync("STOPPING=1", Bounded);
        Assert.True(await daemon.Process.WaitForExitAsync(Bounded), "the daemon kept running after its mount was detached");
        Assert.Equal(0, daemon.Process.ExitCode);

        // Run again on nothing (a daemon that unmounted itself): a no-op, not a failed hook.
        Assert.Equal(0, (await ProcessRunner.RunAsync(hook[0], [hook[1], script], Bounded)).ExitCode);
    }

    [Fact]
    public async Task Model_pods_wait_for_models_init_container_passes_on_the_live_mount_only()
    {
        var objects = await KustomizeRender.RenderAsync("daemonset");
        var daemonContainer = RenderedWorkload.From(objects).SelectMany(w => w.Containers).Single(c => c.IsDaemon);
        var wait = RenderedWorkload.From(objects).SelectMany(w => w.Containers).Single(c => c.Name == "wait-for-models").Command;
        Assert.Equal(["/bin/sh", "-c"], wait.Take(2));
        var script = wait[2].Replace(daemonContainer.Args[1], MountPoint, StringComparison.Ordinal);
        Assert.NotEqual(script, wait[2]);

        // Before the mount the path is a plain directory: the loop's condition does not hold yet.
        Directory.CreateDirectory(MountPoint);
        Assert.NotEqual(FuseSuperMagic, (await ProcessRunner.RunAsync("stat", "-f", "-c", "%t", MountPoint)).StandardOutput.Trim());

        await using var daemon = await StartAsync();
        var run = await ProcessRunner.RunAsync(wait[0], [wait[1], script], TimeSpan.FromSeconds(20));
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task Systemd_exec_stop_post_clears_the_dead_mount_a_killed_daemon_leaves()
    {
        var stopPost = File.ReadAllLines(Path.Combine(RepoPaths.Root, "systemd", "hcpmodelfs.service"))
            .Single(l => l.StartsWith("ExecStopPost=", StringComparison.Ordinal))["ExecStopPost=".Length..].TrimStart('-');
        Assert.StartsWith("/bin/sh -c '", stopPost, StringComparison.Ordinal);
        var script = stopPost["/bin/sh -c '".Length..^1].Replace(" /models", " " + MountPoint, StringComparison.Ordinal);

        var daemon = await StartAsync();
        await using (daemon)
        {
            daemon.Process.Signal(SigKill);
            Assert.True(await daemon.Process.WaitForExitAsync(Bounded));
        }

        var dead = await ProcessRunner.RunAsync("stat", MountPoint);
        Assert.Contains("Transport endpoint is not connected", dead.StandardError, StringComparison.Ordinal);

        var run = await ProcessRunner.RunAsync("/bin/sh", ["-c", script], Bounded);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(MountCleanup.IsMounted(MountPoint));
        Assert.Equal(0, (await ProcessRunner.RunAsync("stat", MountPoint)).ExitCode);
        Assert.Equal(0, (await ProcessRunner.RunAsync("/bin/sh", ["-c", script], Bounded)).ExitCode);
    }

    private Task<NotifyingDaemon> StartAsync()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var cache = Directory.CreateDirectory(Path.Combine(_root, "cache")).FullName;
        return NotifyingDaemon.StartAsync(
            ["mount", MountPoint],
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["HCPMODELFS_STORE_DIR"] = store,
                ["MODEL_CACHE_DIR"] = cache,
                ["HCPMODELFS_HUB_INGEST"] = "off",
            });
    }
}
