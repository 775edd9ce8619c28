using System.CommandLine;
using HcpModelFs.Commands;
using HcpModelFs.Store.Configuration;

namespace HcpModelFs.Configuration;

/// <summary>The effective settings and the layers they were bound from (for `config show`).</summary>
internal sealed record EffectiveSettings(ConfigurationLayers Layers, DaemonSettings Settings);

/// <summary>
/// The one place that reads the sources of settings from the process: the config file (`--config`, else
/// HCPMODELFS_CONFIG, else /etc/hcpmodelfs/config.yaml if it exists), the .env file, the environment and the flags a
/// command maps to variables. Everything after reading is <see cref="ConfigurationLayers"/> and the pure binders.
/// </summary>
internal static class SettingsLoader
{
    public static EffectiveSettings Load(ParseResult parse, Option<string?> envFile, IReadOnlyDictionary<string, string>? flags = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var all = GlobalOptions.Flags(parse);
        foreach (var (name, value) in flags ?? new Dictionary<string, string>())
        {
            all[name] = value;
        }

        return Load(parse.GetValue(envFile), parse.GetValue(GlobalOptions.Config), all);
    }

    public static EffectiveSettings Load(string? envFile, string? configPath, IReadOnlyDictionary<string, string>? flags = null)
    {
        var environment = ConfigurationSources.ProcessEnvironment();
        var (file, filePath) = ReadConfigFile(configPath ?? NonBlank(environment.GetValueOrDefault("HCPMODELFS_CONFIG")));
        var dotEnv = ConfigurationSources.ReadDotEnv(envFile);
        var layers = new ConfigurationLayers(file, filePath, dotEnv, environment, flags, dotEnv is null ? null : envFile);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var settings = DaemonSettingsBinder.Bind(layers, Fuse.Mounting.FuseMounter.IsRoot, string.IsNullOrEmpty(home) ? "/tmp" : home);
        return new EffectiveSettings(layers, settings);
    }

    private static (Dictionary<string, string>? Values, string? Path) ReadConfigFile(string? explicitPath)
    {
        if (explicitPath is null)
        {
            return File.Exists(ConfigFile.DefaultPath)
                ? (ConfigFile.Parse(File.ReadAllText(ConfigFile.DefaultPath), ConfigFile.DefaultPath), ConfigFile.DefaultPath)
                : (null, null);
        }

        if (!File.Exists(explicitPath))
        {
            throw new FormatException($"config file {explicitPath} does not exist (--config / HCPMODELFS_CONFIG)");
        }

        return (ConfigFile.Parse(File.ReadAllText(explicitPath), explicitPath), explicitPath);
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
