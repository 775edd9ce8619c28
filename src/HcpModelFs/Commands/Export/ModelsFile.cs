using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HcpModelFs.Commands.Export;

/// <summary>
/// `export -f models.yaml`: a YAML list of models, each a string `org/model[@rev]` or a mapping with `name` (also
/// `model`, `repo`), optional `revision`, `include`/`allow_patterns` and `exclude`/`ignore_patterns` (a string or a
/// list). The list may also sit under a top-level `models:` key. Per-model globs replace the command line's.
/// </summary>
internal static class ModelsFile
{
    public static IReadOnlyList<ExportRequest> Parse(string text, string path, GlobFilter defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new FormatException($"{path}: not valid YAML at line {ex.Start.Line}");
        }

        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        if (root is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode("models"), out var inner))
        {
            root = inner;
        }

        if (root is not YamlSequenceNode list)
        {
            throw new FormatException($"{path}: expected a list of models (see docs/commands/export.md)");
        }

        return [.. list.Children.Select(node => ParseEntry(node, path, defaults))];
    }

    private static ExportRequest ParseEntry(YamlNode node, string path, GlobFilter defaults)
    {
        var line = node.Start.Line;
        if (node is YamlScalarNode { Value: { } name })
        {
            return ExportRequest.TryParse(name, defaults) ?? throw Invalid(path, line, name);
        }

        if (node is not YamlMappingNode entry)
        {
            throw new FormatException($"{path}:{line}: a model is a name or a mapping with name, revision, include, exclude");
        }

        string? model = null;
        string? revision = null;
        IReadOnlyList<string>? include = null;
        IReadOnlyList<string>? exclude = null;
        foreach (var (keyNode, value) in entry.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "name" or "model" or "repo" or "repo_id":
                    model = Scalar(value, path, key);
                    break;
                case "revision":
                    revision = Scalar(value, path, key);
                    break;
                case "include" or "allow_patterns":
                    include = List(value, path, key);
                    break;
                case "exclude" or "ignore_patterns":
                    exclude = List(value, path, key);
                    break;
                default:
                    throw new FormatException($"{path}:{keyNode.Start.Line}: unknown key '{key}' (name, revision, include, exclude)");
            }
        }

        if (model is null)
        {
            throw new FormatException($"{path}:{line}: the model has no name");
        }

        var text = revision is null ? model : model + "@" + revision;
        var filter = include is null && exclude is null ? defaults : new GlobFilter(include ?? [], exclude ?? []);
        return ExportRequest.TryParse(text, filter) ?? throw Invalid(path, line, text);
    }

    private static FormatException Invalid(string path, long line, string name) =>
        new($"{path}:{line}: '{name}' is not ORG/MODEL or ORG/MODEL@REVISION with valid Hub names");

    private static string Scalar(YamlNode node, string path, string key) =>
        node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw new FormatException($"{path}:{node.Start.Line}: {key} must be a single value");

    private static IReadOnlyList<string> List(YamlNode node, string path, string key) => node switch
    {
        YamlScalarNode { Value: { Length: > 0 } v } => [v],
        YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode) => [.. seq.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty)],
        _ => throw new FormatException($"{path}:{node.Start.Line}: {key} must be a glob or a list of globs"),
    };
}
