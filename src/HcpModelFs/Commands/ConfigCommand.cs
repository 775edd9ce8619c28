using System.CommandLine;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs config show`: every effective setting, its value and where it came from (default, file, .env,
/// environment, flag). Secrets are masked: access keys as their first four characters, secret keys and tokens never.
/// The settings are bound first, so an invalid value fails here as it would at mount (exit 2).
/// </summary>
internal static class ConfigCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var json = CliOutput.JsonOption();
        var cache = new CacheOptions();
        var show = new Command("show", "Print every effective setting, its value and its source (secrets masked)") { json, cache.Directory, cache.MaxSize };
        show.SetAction(parse =>
        {
            var output = new CliOutput("config show", parse.GetValue(json));
            EffectiveSettings effective;
            try
            {
                effective = SettingsLoader.Load(parse, envFile, cache.Flags(parse));
            }
            catch (FormatException ex)
            {
                return output.BadUsage(ex.Message);
            }

            Write(output, Rows(effective.Layers));
            return ExitCodes.Ok;
        });
        return new Command("config", "Inspect the configuration") { show };
    }

    /// <summary>One row per setting that is set, and per main (non-alias) setting with its default.</summary>
    internal static IReadOnlyList<ConfigRow> Rows(ConfigurationLayers layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var rows = new List<ConfigRow>();
        foreach (var key in SettingKeys.All)
        {
            var value = layers.ValueOf(key.Name);
            if (value is not null)
            {
                rows.Add(new ConfigRow(key.Name, key.Mask(value), layers.SourceOf(key.Name).ToString()));
            }
            else if (!key.IsAlias)
            {
                rows.Add(new ConfigRow(key.Name, key.DefaultText, SettingSource.Default.ToString()));
            }
        }

        return rows;
    }

    internal static void Write(CliOutput output, IReadOnlyList<ConfigRow> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rows);
        if (output.IsJson)
        {
            output.WriteJson(new { Settings = rows });
            return;
        }

        var nameWidth = rows.Max(r => r.Name.Length);
        var valueWidth = Math.Min(48, rows.Max(r => r.Value.Length));
        foreach (var row in rows)
        {
            output.WriteLine($"{row.Name.PadRight(nameWidth)}  {row.Value.PadRight(valueWidth)}  {row.Source}");
        }
    }
}

/// <summary>One line of `config show`: the value is already masked.</summary>
internal sealed record ConfigRow(string Name, string Value, string Source);
