using System.Text.RegularExpressions;
using HcpModelFs.Configuration;
using HcpModelFs.Testing;

namespace HcpModelFs.Tests;

/// <summary>
/// The config file accepts exactly <see cref="SettingKeys.All"/>: a variable a binder reads but the list lacks would be
/// settable from the environment and refused in the file. Read from the binders' sources, so a new setting cannot be
/// forgotten.
/// </summary>
public sealed partial class SettingKeysTests
{
    private static readonly string[] Binders =
    [
        "src/HcpModelFs/Configuration/DaemonSettingsBinder.cs",
        "src/HcpModelFs.Store/Configuration/StoreSettingsBinder.cs",
        "src/HcpModelFs/Configuration/SourceStoreSettingsBinder.cs",
        "src/HcpModelFs.Hub/HubOptions.cs",
    ];

    // Process facts the binders read, not settings.
    private static readonly string[] NotSettings = ["HOME", "XDG_CACHE_HOME"];

    [Fact]
    public void Every_variable_a_binder_reads_is_a_setting_key()
    {
        var read = Binders
            .SelectMany(path => VariableName().Matches(File.ReadAllText(Path.Combine(RepoPaths.Root, path))))
            .Select(m => m.Groups[1].Value)
            .Except(NotSettings)
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(read.Count > 40, $"the pattern found only {read.Count} names: the binders' sources moved?");
        Assert.DoesNotContain(read, name => SettingKeys.Find(name) is null);
    }

    [GeneratedRegex("\"((?:HCP|S3|HF|HCPMODELFS|MODEL|AWS|XDG)_[A-Z0-9_]+|HOME)\"")]
    private static partial Regex VariableName();
}
