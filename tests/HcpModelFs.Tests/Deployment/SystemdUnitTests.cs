using System.Globalization;
using HcpModelFs.Testing;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.Tests.Deployment;

/// <summary>systemd/hcpmodelfs.service: a notify unit that stops cleanly, hardened without hiding its mount.</summary>
public sealed class SystemdUnitTests
{
    /// <summary>Each of these runs the service in its own mount namespace, made a slave of the host's: /models would be mounted only inside it.</summary>
    private static readonly string[] NamespacingSettings =
    [
        "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateMounts", "ReadWritePaths", "ReadOnlyPaths",
        "InaccessiblePaths", "TemporaryFileSystem", "BindPaths", "BindReadOnlyPaths", "ProtectKernelTunables",
        "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectHostname", "ProtectProc", "ProcSubset",
        "RootDirectory", "RootImage", "MountFlags", "PrivateUsers", "DynamicUser", "MountAPIVFS",
    ];

    private readonly SystemdUnit _unit = SystemdUnit.Load();

    [Fact]
    public void Unit_is_type_notify_and_stops_by_sigterm_with_a_fallback_unmount()
    {
        Assert.Equal("notify", _unit.Get("Type"));
        Assert.Equal("SIGTERM", _unit.Get("KillSignal"));
        Assert.Equal("on-failure", _unit.Get("Restart"));
        Assert.True(int.Parse(_unit.Get("TimeoutStopSec")!, CultureInfo.InvariantCulture) >= 20, "TimeoutStopSec must cover the daemon's drain (~15 s)");

        var start = _unit.Get("ExecStart")!.Split(' ');
        Assert.Equal("mount", start[1]);
        var mountPoint = start[2];
        var stopPost = Assert.Single(_unit.All("ExecStopPost"));
        Assert.StartsWith("-", stopPost, StringComparison.Ordinal);
        Assert.Contains($"fusermount3 -u -z {mountPoint}", stopPost, StringComparison.Ordinal);
        Assert.Contains($"umount -l {mountPoint}", stopPost, StringComparison.Ordinal);
    }

    [Fact]
    public void Unit_is_hardened_but_lets_the_daemon_mount_fuse_for_the_whole_host()
    {
        Assert.Contains("CAP_SYS_ADMIN", _unit.Get("CapabilityBoundingSet")!.Split(' '));
        Assert.Equal("yes", _unit.Get("NoNewPrivileges"));
        Assert.Equal("closed", _unit.Get("DevicePolicy"));
        Assert.Contains("/dev/fuse rw", _unit.All("DeviceAllow"));
        Assert.Empty(_unit.Keys().Intersect(NamespacingSettings));
    }

    [RequiresToolFact("systemd-analyze")]
    public async Task Unit_passes_systemd_analyze_verify()
    {
        // verify checks that ExecStart's binary exists: point it at the daemon this test project built.
        var binary = Path.Combine(AppContext.BaseDirectory, "hcpmodelfs");
        Assert.True(File.Exists(binary), $"the built daemon {binary} is missing");
        var dir = Directory.CreateTempSubdirectory("hcpfs-unit-").FullName;
        try
        {
            var copy = Path.Combine(dir, "hcpmodelfs.service");
            var text = await File.ReadAllTextAsync(_unit.Path);
            Assert.Contains("ExecStart=/usr/local/bin/hcpmodelfs ", text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(copy, text.Replace("ExecStart=/usr/local/bin/hcpmodelfs ", $"ExecStart={binary} ", StringComparison.Ordinal));

            var verify = await ProcessRunner.RunAsync("systemd-analyze", ["verify", copy], TimeSpan.FromSeconds(60));
            Assert.True(verify.ExitCode == 0, verify.ToString());
            // Unknown keys and invalid values are only warnings (exit 0), each a line naming the file.
            Assert.DoesNotContain(copy, verify.StandardError + verify.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Settings_example_names_only_real_settings()
    {
        var names = File.ReadAllLines(Path.Combine(RepoPaths.Root, "systemd", "hcpmodelfs.env.example"))
            .Select(l => l.TrimStart('#').Trim())
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.Contains(' ', StringComparison.Ordinal))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)])
            .ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(DocumentedSettings.Exists(n), $"{n} is not a setting in docs/CONFIGURATION.md"));
    }
}
