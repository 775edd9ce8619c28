using System.Text.Json;

namespace HcpModelFs.Testing.Deployment;

/// <summary>One container of a rendered pod spec, read as the kubelet would read it.</summary>
public sealed record RenderedContainer(JsonElement Json, bool IsInit)
{
    public string Name => Json.GetProperty("name").GetString()!;

    public string Image => Json.GetProperty("image").GetString()!;

    /// <summary>The HcpModelFs daemon, by its image (the overlays map the image name `hcpmodelfs` to a registry).</summary>
    public bool IsDaemon => Image.Split('/')[^1].Split(':')[0] == "hcpmodelfs";

    public IReadOnlyList<string> Args => Strings("args");

    public IReadOnlyList<string> Command => Strings("command");

    /// <summary>env entries: name to literal value (null when it comes from valueFrom).</summary>
    public IReadOnlyDictionary<string, string?> Env =>
        Items("env").ToDictionary(
            e => e.GetProperty("name").GetString()!,
            e => e.TryGetProperty("value", out var v) ? v.GetString() : null,
            StringComparer.Ordinal);

    public IEnumerable<JsonElement> EnvEntries => Items("env");

    public IEnumerable<JsonElement> EnvFrom => Items("envFrom");

    public IEnumerable<JsonElement> VolumeMounts => Items("volumeMounts");

    public bool Privileged =>
        Json.TryGetProperty("securityContext", out var sc) && sc.TryGetProperty("privileged", out var p) && p.GetBoolean();

    public string? RestartPolicy => Json.TryGetProperty("restartPolicy", out var r) ? r.GetString() : null;

    /// <summary>startupProbe, livenessProbe, readinessProbe: those present, by kind.</summary>
    public IReadOnlyDictionary<string, JsonElement> Probes =>
        new[] { "startupProbe", "livenessProbe", "readinessProbe" }
            .Where(p => Json.TryGetProperty(p, out _))
            .ToDictionary(p => p, p => Json.GetProperty(p), StringComparer.Ordinal);

    /// <summary>A probe's or hook's port, named or numbered, as the container port number it means.</summary>
    public int? ResolvePort(JsonElement port)
    {
        if (port.ValueKind == JsonValueKind.Number)
        {
            return port.GetInt32();
        }

        var name = port.GetString();
        var match = Items("ports").FirstOrDefault(p => p.TryGetProperty("name", out var n) && n.GetString() == name);
        return match.ValueKind == JsonValueKind.Undefined ? null : match.GetProperty("containerPort").GetInt32();
    }

    /// <summary>The mount (in this container) of the pod volume <paramref name="volume"/>, if any.</summary>
    public JsonElement? MountOf(string volume)
    {
        var m = VolumeMounts.FirstOrDefault(v => v.GetProperty("name").GetString() == volume);
        return m.ValueKind == JsonValueKind.Undefined ? null : m;
    }

    /// <summary>The preStop exec command, or empty.</summary>
    public IReadOnlyList<string> PreStopCommand =>
        Json.TryGetProperty("lifecycle", out var l) && l.TryGetProperty("preStop", out var p) && p.TryGetProperty("exec", out var e)
            ? [.. e.GetProperty("command").EnumerateArray().Select(c => c.GetString()!)]
            : [];

    public string? Resource(string kind, string resource) =>
        Json.TryGetProperty("resources", out var r) && r.TryGetProperty(kind, out var k) && k.TryGetProperty(resource, out var v)
            ? v.GetString()
            : null;

    private IReadOnlyList<string> Strings(string property) => [.. Items(property).Select(a => a.GetString()!)];

    private JsonElement[] Items(string property) =>
        Json.TryGetProperty(property, out var a) ? [.. a.EnumerateArray()] : [];
}
