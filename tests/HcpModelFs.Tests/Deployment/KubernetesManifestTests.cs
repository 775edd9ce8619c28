using System.Text.Json;
using HcpModelFs.Testing.Deployment;

namespace HcpModelFs.Tests.Deployment;

/// <summary>
/// deploy/kubernetes rendered by `kubectl kustomize` and validated by kubernetes-models (no cluster), then held to
/// what the daemon really does: the port and paths it serves, the mount it makes, the settings it reads.
/// </summary>
public sealed class KubernetesManifestTests(RenderedOverlays overlays) : IClassFixture<RenderedOverlays>
{
    private const int MetricsPort = 9464;
    private static readonly string[] SecretSettings =
        ["HCP_ACCESS_KEY", "HCP_SECRET_KEY", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "HF_TOKEN"];

    public static TheoryData<string> Overlays => RenderedOverlays.Names;

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_renders_to_schema_valid_objects_with_one_daemon(string overlay)
    {
        // The fixture rendered and validated it (any schema error fails it); each overlay runs exactly one daemon.
        Assert.NotEmpty(overlays.Objects(overlay));
        Assert.Single(overlays.Workloads(overlay).SelectMany(w => w.Containers), c => c.IsDaemon);
    }

    [Fact]
    public async Task Schema_validator_rejects_a_wrong_field_and_an_unknown_kind_naming_the_object()
    {
        var wrongType = await KustomizeRender.ValidateAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: broken }
            spec:
              selector: { matchLabels: { a: b } }
              template:
                metadata: { labels: { a: b } }
                spec:
                  containers: [{ name: c, image: i, ports: [{ containerPort: "nine" }] }]
            """);
        Assert.Equal(1, wrongType.ExitCode);
        Assert.Contains("Deployment/broken", wrongType.StandardError, StringComparison.Ordinal);
        Assert.Contains("containerPort", wrongType.StandardError, StringComparison.Ordinal);

        var unknown = await KustomizeRender.ValidateAsync("apiVersion: v1\nkind: Podd\nmetadata: { name: x }\n");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Podd/x", unknown.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Probes_ask_for_paths_the_daemon_serves_on_the_port_it_listens_on(string overlay)
    {
        var probed = 0;
        foreach (var container in overlays.Workloads(overlay).SelectMany(w => w.Containers).Where(c => c.Probes.Count > 0))
        {
            foreach (var probe in container.Probes.Values)
            {
                var http = probe.GetProperty("httpGet");
                Assert.Contains(http.GetProperty("path").GetString(), new[] { "/healthz", "/readyz" });
                Assert.Equal(MetricsPort, container.ResolvePort(http.GetProperty("port")));
                probed++;
            }

            Assert.True(container.Env.TryGetValue("HCPMODELFS_METRICS_LISTEN", out var listen) && listen is not null,
                $"{container.Name} is probed but does not set HCPMODELFS_METRICS_LISTEN (the default 127.0.0.1 refuses the kubelet)");
            var address = ListenAddress.Parse(listen);
            Assert.Equal(MetricsPort, address.Port);
            Assert.False(address.IsLoopback, $"{container.Name}: HCPMODELFS_METRICS_LISTEN={listen} is loopback; kubelet probes the pod IP");
        }

        var (_, daemon) = overlays.Daemon(overlay);
        Assert.Equal("/healthz", ProbePath(daemon, "livenessProbe"));
        Assert.Equal("/readyz", ProbePath(daemon, "readinessProbe"));
        Assert.Equal("/readyz", ProbePath(daemon, "startupProbe"));
        Assert.True(probed >= 3);
    }

    [Fact]
    public void Sidecar_is_native_and_holds_vllm_back_until_the_mount_is_ready()
    {
        var (pod, daemon) = overlays.Daemon(RenderedOverlays.Sidecar);
        Assert.True(daemon.IsInit, "the daemon must be an init container (native sidecar)");
        Assert.Equal("Always", daemon.RestartPolicy);

        var (volume, mountPath) = BidirectionalMount(daemon);
        Assert.True(pod.Volume(volume).TryGetProperty("emptyDir", out _), $"the shared volume {volume} is not an emptyDir");
        var mountPoint = MountPoint(daemon);
        Assert.StartsWith(mountPath + "/", mountPoint, StringComparison.Ordinal);

        var vllm = pod.Containers.Single(c => !c.IsInit);
        var seen = vllm.MountOf(volume);
        Assert.True(seen is not null, "vLLM does not mount the shared volume");
        Assert.Equal("HostToContainer", seen.Value.GetProperty("mountPropagation").GetString());
        Assert.Equal(mountPath, seen.Value.GetProperty("mountPath").GetString());
        Assert.False(vllm.Privileged);
        Assert.StartsWith(mountPoint + "/", vllm.Args[vllm.Args.ToList().IndexOf("--model") + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void Daemonset_shares_one_host_mount_and_cache_with_the_model_pods()
    {
        var overlay = RenderedOverlays.DaemonSet;
        var (daemonSet, daemon) = overlays.Daemon(overlay);
        Assert.Equal("DaemonSet", daemonSet.Kind);

        var (volume, mountPath) = BidirectionalMount(daemon);
        var hostMount = daemonSet.Volume(volume).GetProperty("hostPath").GetProperty("path").GetString()!;
        var mountPoint = MountPoint(daemon);
        Assert.StartsWith(mountPath + "/", mountPoint, StringComparison.Ordinal);

        var cacheDir = overlays.EffectiveEnv(overlay, daemon)["MODEL_CACHE_DIR"];
        var cacheMount = daemon.VolumeMounts.Single(m => m.GetProperty("mountPath").GetString() == cacheDir);
        Assert.True(daemonSet.Volume(cacheMount.GetProperty("name").GetString()!).TryGetProperty("hostPath", out _),
            $"the cache {cacheDir} is not on the host");

        var consumer = overlays.Workloads(overlay).Single(w => w.Kind == "Deployment");
        var readers = consumer.Containers.Where(c => !c.IsDaemon).ToList();
        Assert.NotEmpty(readers);
        foreach (var reader in readers)
        {
            Assert.False(reader.Privileged, $"{reader.Name} needs no privileges to read the mount");
            var seen = reader.VolumeMounts.Single(m =>
                consumer.Volume(m.GetProperty("name").GetString()!).TryGetProperty("hostPath", out var hp)
                && hp.GetProperty("path").GetString() == hostMount);
            Assert.Equal("HostToContainer", seen.GetProperty("mountPropagation").GetString());
            Assert.Equal(mountPath, seen.GetProperty("mountPath").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Bidirectional_propagation_is_only_in_privileged_containers(string overlay)
    {
        // The API server refuses it otherwise ("Bidirectional mount propagation is available only to privileged containers").
        foreach (var container in overlays.Workloads(overlay).SelectMany(w => w.Containers))
        {
            if (container.VolumeMounts.Any(m => Propagation(m) == "Bidirectional"))
            {
                Assert.True(container.Privileged, $"{container.Name} has a Bidirectional mount but is not privileged");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Secrets_reach_the_daemon_only_as_files_from_a_secret_volume(string overlay)
    {
        foreach (var workload in overlays.Workloads(overlay))
        {
            foreach (var container in workload.Containers)
            {
                Assert.DoesNotContain(container.EnvFrom, e => e.TryGetProperty("secretRef", out _));
                Assert.DoesNotContain(container.EnvEntries, e =>
                    e.TryGetProperty("valueFrom", out var from) && from.TryGetProperty("secretKeyRef", out _));
                Assert.DoesNotContain(overlays.EffectiveEnv(overlay, container).Keys, SecretSettings.Contains);

                foreach (var (name, value) in container.Env.Where(e => e.Key.EndsWith("_FILE", StringComparison.Ordinal)))
                {
                    var mount = container.VolumeMounts.SingleOrDefault(m =>
                        value!.StartsWith(m.GetProperty("mountPath").GetString() + "/", StringComparison.Ordinal));
                    Assert.True(mount.ValueKind != JsonValueKind.Undefined, $"{name}={value} is not below any volume mount of {container.Name}");
                    Assert.True(workload.Volume(mount.GetProperty("name").GetString()!).TryGetProperty("secret", out _), $"{name} is not read from a Secret volume");
                    // subPath mounts are never updated: a rotated key would not reach the daemon.
                    Assert.False(mount.TryGetProperty("subPath", out _), $"{name}: a subPath secret mount does not follow rotation");
                }
            }
        }

        var (_, daemon) = overlays.Daemon(overlay);
        Assert.Contains("HCP_ACCESS_KEY_FILE", daemon.Env.Keys);
        Assert.Contains("HCP_SECRET_KEY_FILE", daemon.Env.Keys);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_setting_given_to_the_daemon_exists(string overlay)
    {
        var (_, daemon) = overlays.Daemon(overlay);
        var env = overlays.EffectiveEnv(overlay, daemon);
        Assert.NotEmpty(env);
        Assert.All(env.Keys, name => Assert.True(DocumentedSettings.Exists(name), $"{name} is not a setting in docs/CONFIGURATION.md"));
        Assert.Equal("mount", daemon.Args[0]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Daemon_is_sized_from_measured_rss_and_detaches_its_mount_before_it_stops(string overlay)
    {
        var (pod, daemon) = overlays.Daemon(overlay);
        // docs/BENCHMARKS.md row 8: peak RSS ~230 MiB with 1-4 cold readers; the limit leaves room above it.
        Assert.Equal("256Mi", daemon.Resource("requests", "memory"));
        Assert.Equal("512Mi", daemon.Resource("limits", "memory"));
        Assert.Null(daemon.Resource("limits", "cpu"));

        var preStop = daemon.PreStopCommand;
        Assert.NotEmpty(preStop);
        var script = preStop[^1];
        Assert.Contains(MountPoint(daemon), script, StringComparison.Ordinal);
        Assert.Contains("fusermount3 -u", script, StringComparison.Ordinal);
        Assert.Contains("umount -l", script, StringComparison.Ordinal);
        // Stop: reads cancelled and readers drained (5 s each, ~15 s worst case) plus the HTTP listener (5 s).
        Assert.True(pod.TerminationGracePeriodSeconds >= 30, $"terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds} < 30");
    }

    private static string? ProbePath(RenderedContainer container, string kind) =>
        container.Probes.TryGetValue(kind, out var probe) ? probe.GetProperty("httpGet").GetProperty("path").GetString() : null;

    private static string? Propagation(JsonElement mount) =>
        mount.TryGetProperty("mountPropagation", out var p) ? p.GetString() : null;

    private static (string Volume, string MountPath) BidirectionalMount(RenderedContainer daemon)
    {
        var mount = daemon.VolumeMounts.Single(m => Propagation(m) == "Bidirectional");
        return (mount.GetProperty("name").GetString()!, mount.GetProperty("mountPath").GetString()!);
    }

    /// <summary>`hcpmodelfs mount MOUNTPOINT`: the FUSE mount sits below the shared volume, never on it.</summary>
    private static string MountPoint(RenderedContainer daemon)
    {
        Assert.Equal("mount", daemon.Args[0]);
        return daemon.Args[1];
    }
}
