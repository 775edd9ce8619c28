namespace HcpModelFs.Store.Configuration;

/// <summary>
/// The environment-style sources of settings and their precedence (design.md §8): <c>.env</c> &lt; process
/// environment. Binders are pure functions of the merged dictionary; only this type touches the process.
/// </summary>
public static class ConfigurationSources
{
    public static Dictionary<string, string> ProcessEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = e.Value as string ?? string.Empty;
        }

        return env;
    }

    /// <summary>The variables of a <c>.env</c> file, or null when there is none.</summary>
    public static Dictionary<string, string>? ReadDotEnv(string? path) =>
        path is not null && File.Exists(path) ? DotEnvParser.Parse(File.ReadAllText(path)) : null;

    /// <summary>One dictionary of all sources; the environment wins over <c>.env</c>.</summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string>? dotEnv)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in new[] { dotEnv, environment })
        {
            foreach (var (k, v) in source ?? new Dictionary<string, string>())
            {
                merged[k] = v;
            }
        }

        return merged;
    }
}
