using HcpModelFs.Testing;

namespace HcpModelFs.Tests.Deployment;

/// <summary>
/// The Dockerfile and the compose demo, read as text and YAML: no Docker daemon or registry is reachable where the
/// tests run, so the image is not built here; what is checked is what the image must agree on with the daemon.
/// </summary>
public sealed class ContainerImageTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"));

    private static string RuntimeStage => Dockerfile[Dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

    [Fact]
    public void Build_stage_copies_every_project_file_before_the_restore()
    {
        var restore = Dockerfile.IndexOf("RUN dotnet restore", StringComparison.Ordinal);
        Assert.True(restore > 0);
        var projects = Directory.GetFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepoPaths.Root, p).Replace('\\', '/'))
            .ToList();
        Assert.NotEmpty(projects);
        Assert.All(projects, p =>
        {
            var copy = Dockerfile.IndexOf($"COPY {p} ", StringComparison.Ordinal);
            Assert.True(copy > 0 && copy < restore, $"{p} is not copied before `dotnet restore`");
        });
        // ReadyToRun comes with a publish for the runtime, as scripts/install.sh does it.
        Assert.Contains("-r linux-x64", Dockerfile[restore..], StringComparison.Ordinal);
        Assert.Contains("-r linux-x64", File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "install.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_image_has_kestrel_fuse_tools_and_a_healthcheck_on_healthz()
    {
        // The publish is self-contained (its own runtime, Kestrel included): the image needs the native dependencies only.
        Assert.Contains("--self-contained true", Dockerfile, StringComparison.Ordinal);
        Assert.StartsWith("\nFROM mcr.microsoft.com/dotnet/runtime-deps:", RuntimeStage, StringComparison.Ordinal);
        var install = RuntimeStage.Split("apt-get install", 2)[1].Split("&&", 2)[0];
        Assert.Contains("fuse3", install, StringComparison.Ordinal);   // fusermount3, for the preStop/ExecStopPost fallback
        Assert.Contains("curl", install, StringComparison.Ordinal);    // the HEALTHCHECK
        var healthcheck = RuntimeStage.Split("\nHEALTHCHECK ", 2)[1].Split('\n', 3);
        var command = healthcheck[0] + healthcheck[1];
        Assert.Contains("\"curl\", \"-fsS\"", command, StringComparison.Ordinal);
        Assert.Contains("\"http://127.0.0.1:9464/healthz\"", command, StringComparison.Ordinal);
        Assert.Contains("STOPSIGNAL SIGTERM", RuntimeStage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compose_demo_runs_the_daemon_on_the_local_store_with_fuse_and_a_shared_mount()
    {
        var compose = await Testing.Deployment.KustomizeRender.YamlFileAsJsonAsync(Path.Combine(RepoPaths.Root, "deploy", "docker-compose.yml"));
        var daemon = compose.GetProperty("services").GetProperty("hcpmodelfs");
        Assert.Contains("/dev/fuse:/dev/fuse", daemon.GetProperty("devices").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("SYS_ADMIN", daemon.GetProperty("cap_add").EnumerateArray().Select(d => d.GetString()));

        var env = daemon.GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.Ordinal);
        Assert.Contains("HCPMODELFS_STORE_DIR", env.Keys);
        Assert.DoesNotContain("HCP_ENDPOINT", env.Keys);   // unset endpoint = the embedded local-directory store
        Assert.DoesNotContain("S3_ENDPOINT", env.Keys);
        Assert.All(env.Keys, n => Assert.True(DocumentedSettings.Exists(n), $"{n} is not a setting in docs/CONFIGURATION.md"));
        var listen = ListenAddress.Parse(env["HCPMODELFS_METRICS_LISTEN"]!);
        Assert.Equal(9464, listen.Port);   // the image's HEALTHCHECK asks 127.0.0.1:9464
        Assert.False(listen.IsLoopback);   // and the published port reaches it

        var command = daemon.GetProperty("command").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal("mount", command[0]);
        var shared = daemon.GetProperty("volumes").EnumerateArray().Single(v =>
            v.ValueKind == System.Text.Json.JsonValueKind.Object && v.TryGetProperty("bind", out var b) && b.GetProperty("propagation").GetString() == "rshared");
        Assert.StartsWith(shared.GetProperty("target").GetString() + "/", command[1], StringComparison.Ordinal);
    }
}
