using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HcpModelFs.Configuration;

/// <summary>
/// The YAML config file (`--config`, HCPMODELFS_CONFIG, default /etc/hcpmodelfs/config.yaml): one mapping whose keys are
/// the environment variable names (docs/CONFIGURATION.md has one table for both). A list value is joined with commas
/// (HCPMODELFS_HUB_ALLOW: [a/*, b/*]). Unknown keys are refused: a typo would otherwise silently keep a default.
/// </summary>
internal static class ConfigFile
{
    public const string DefaultPath = "/etc/hcpmodelfs/config.yaml";

    /// <summary>The settings of <paramref name="text"/>; errors name the file, the line and the key, never a value.</summary>
    public static Dictionary<string, string> Parse(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new FormatException($"{path}: not valid YAML at line {ex.Start.Line}: {FirstLine(ex.Message)}");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return values;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException($"{path}: expected a mapping of SETTING: value (keys as in docs/CONFIGURATION.md)");
        }

        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var line = keyNode.Start.Line;
            if (SettingKeys.Find(key) is null)
            {
                throw new FormatException($"{path}:{line}: unknown setting '{key}' (keys are the variable names of docs/CONFIGURATION.md)");
            }

            values[key] = valueNode switch
            {
                YamlScalarNode scalar => scalar.Value ?? string.Empty,
                YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode) =>
                    string.Join(',', list.Children.Select(c => ((YamlScalarNode)c).Value)),
                _ => throw new FormatException($"{path}:{line}: {key} must be a single value or a list of values"),
            };
        }

        return values;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
