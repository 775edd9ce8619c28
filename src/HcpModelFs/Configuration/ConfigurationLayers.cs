namespace HcpModelFs.Configuration;

/// <summary>
/// The sources of settings merged in precedence order, defaults &lt; config file &lt; .env &lt; environment &lt; flags,
/// remembering which source set each key. A pure function of the dictionaries it is given; only
/// <see cref="SettingsLoader"/> reads the process, files and the command line.
/// </summary>
internal sealed class ConfigurationLayers
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SettingSource> _sources = new(StringComparer.Ordinal);

    public ConfigurationLayers(
        IReadOnlyDictionary<string, string>? file = null,
        string? filePath = null,
        IReadOnlyDictionary<string, string>? dotEnv = null,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyDictionary<string, string>? flags = null,
        string? dotEnvPath = null)
    {
        Add(file, new SettingSource(SettingSourceKind.File, filePath));
        Add(dotEnv, new SettingSource(SettingSourceKind.DotEnv, dotEnvPath));
        Add(environment, new SettingSource(SettingSourceKind.Environment));
        Add(flags, new SettingSource(SettingSourceKind.Flag));
    }

    /// <summary>The merged variables, what the binders read.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The source of <paramref name="name"/>'s effective value; <see cref="SettingSource.Default"/> when unset.</summary>
    public SettingSource SourceOf(string name) => _sources.GetValueOrDefault(name) ?? SettingSource.Default;

    /// <summary>The effective value, or null when no source sets it (blank counts as unset, as the binders read it).</summary>
    public string? ValueOf(string name) =>
        _values.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private void Add(IReadOnlyDictionary<string, string>? layer, SettingSource source)
    {
        foreach (var (key, value) in layer ?? new Dictionary<string, string>())
        {
            _values[key] = value;
            _sources[key] = source;
        }
    }
}
