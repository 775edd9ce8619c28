using System.Text.Json;
using HcpModelFs.Testing.Deployment;

namespace HcpModelFs.Tests.Deployment;

/// <summary>Both kustomize overlays rendered and schema-checked once for the tests of a class.</summary>
public sealed class RenderedOverlays : IAsyncLifetime
{
    public const string Sidecar = "sidecar";
    public const string DaemonSet = "daemonset";
    private readonly Dictionary<string, IReadOnlyList<JsonElement>> _objects = new(StringComparer.Ordinal);

    public static TheoryData<string> Names => new() { Sidecar, DaemonSet };

    public IReadOnlyList<JsonElement> Objects(string overlay) => _objects[overlay];

    public IReadOnlyList<RenderedWorkload> Workloads(string overlay) => RenderedWorkload.From(_objects[overlay]);

    public (RenderedWorkload Workload, RenderedContainer Container) Daemon(string overlay) =>
        Workloads(overlay).SelectMany(w => w.Containers.Where(c => c.IsDaemon).Select(c => (w, c))).Single();

    /// <summary>What the container's process sees: the ConfigMaps of its envFrom, then its own env (literal values).</summary>
    public IReadOnlyDictionary<string, string?> EffectiveEnv(string overlay, RenderedContainer container)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var from in container.EnvFrom)
        {
            if (!from.TryGetProperty("configMapRef", out var reference))
            {
                continue;
            }

            var name = reference.GetProperty("name").GetString();
            var configMap = _objects[overlay].Single(o =>
                o.GetProperty("kind").GetString() == "ConfigMap" && o.GetProperty("metadata").GetProperty("name").GetString() == name);
            foreach (var entry in configMap.GetProperty("data").EnumerateObject())
            {
                env[entry.Name] = entry.Value.GetString();
            }
        }

        foreach (var (name, value) in container.Env)
        {
            env[name] = value;
        }

        return env;
    }

    public async Task InitializeAsync()
    {
        foreach (var overlay in new[] { Sidecar, DaemonSet })
        {
            _objects[overlay] = await KustomizeRender.RenderAsync(overlay);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
