using System.Text.Json;

namespace HcpModelFs.Testing.Deployment;

/// <summary>A rendered object that runs pods (Deployment, DaemonSet, ...): its pod spec and containers, init ones included.</summary>
public sealed class RenderedWorkload
{
    private RenderedWorkload(string kind, string name, JsonElement podSpec)
    {
        Kind = kind;
        Name = name;
        PodSpec = podSpec;
        Containers =
        [
            .. Array("initContainers").Select(c => new RenderedContainer(c, IsInit: true)),
            .. Array("containers").Select(c => new RenderedContainer(c, IsInit: false)),
        ];
    }

    public string Kind { get; }

    public string Name { get; }

    public JsonElement PodSpec { get; }

    public IReadOnlyList<RenderedContainer> Containers { get; }

    public override string ToString() => $"{Kind}/{Name}";

    /// <summary>Every object with a pod template (spec.template.spec) or that is a Pod.</summary>
    public static IReadOnlyList<RenderedWorkload> From(IEnumerable<JsonElement> objects) =>
    [
        .. objects.Select(o =>
        {
            var kind = o.GetProperty("kind").GetString()!;
            var name = o.GetProperty("metadata").GetProperty("name").GetString()!;
            if (kind == "Pod")
            {
                return new RenderedWorkload(kind, name, o.GetProperty("spec"));
            }

            return o.TryGetProperty("spec", out var spec) && spec.TryGetProperty("template", out var template)
                ? new RenderedWorkload(kind, name, template.GetProperty("spec"))
                : null;
        }).OfType<RenderedWorkload>(),
    ];

    /// <summary>The pod volume named <paramref name="name"/>.</summary>
    public JsonElement Volume(string name) => Array("volumes").Single(v => v.GetProperty("name").GetString() == name);

    public int? TerminationGracePeriodSeconds =>
        PodSpec.TryGetProperty("terminationGracePeriodSeconds", out var t) ? t.GetInt32() : null;

    private JsonElement[] Array(string property) =>
        PodSpec.TryGetProperty(property, out var a) ? [.. a.EnumerateArray()] : [];
}
