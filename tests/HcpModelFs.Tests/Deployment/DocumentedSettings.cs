using System.Text.RegularExpressions;
using HcpModelFs.Testing;

namespace HcpModelFs.Tests.Deployment;

/// <summary>The setting names docs/CONFIGURATION.md documents, so deployment files can be held to real names.</summary>
internal static partial class DocumentedSettings
{
    private static readonly Lazy<HashSet<string>> Names = new(() =>
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "CONFIGURATION.md"));
        var names = new HashSet<string>(SettingName().Matches(text).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
        return names;
    });

    /// <summary>Documented by name, or a secret's `*_FILE` form (documented as "(`*_FILE`)" beside the secret).</summary>
    public static bool Exists(string name) =>
        Names.Value.Contains(name) || (name.EndsWith("_FILE", StringComparison.Ordinal) && Names.Value.Contains(name[..^"_FILE".Length]));

    [GeneratedRegex("`([A-Z][A-Z0-9_]+)`")]
    private static partial Regex SettingName();
}
