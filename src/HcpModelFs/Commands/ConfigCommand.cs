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

    /// <summary>
    /// One row per setting: the value of the first of it and its aliases that is set (as the binders choose), masked,
    /// with its source and the alias it came through; else the default.
    /// </summary>
    internal static IReadOnlyList<ConfigRow> Rows(ConfigurationLayers layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var rows = new List<ConfigRow>();
        foreach (var main in SettingKeys.All.Where(k => !k.IsAlias))
        {
            var set = SettingKeys.WithAliases(main).FirstOrDefault(k => layers.ValueOf(k.Name) is not null);
            rows.Add(set is null
                ? new ConfigRow(main.Name, main.DefaultText, SettingSource.Default.ToString())
                : new ConfigRow(main.Name, set.Mask(layers.ValueOf(set.Name)!), layers.SourceOf(set.Name).ToString(), set == main ? null : set.Name));
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
            output.WriteLine($"{row.Name.PadRight(nameWidth)}  {row.Value.PadRight(valueWidth)}  {row.Source}{(row.Via is null ? string.Empty : $" (as {row.Via})")}");
        }
    }
}

/// <summary>One line of `config show`: the value is already masked; <see cref="Via"/> the alias that set it, if one did.</summary>
internal sealed record ConfigRow(string Name, string Value, string Source, string? Via = null);
