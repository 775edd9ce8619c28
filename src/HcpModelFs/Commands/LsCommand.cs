using System.CommandLine;
using System.Globalization;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs ls [ORG[/MODEL]]`: what the store holds — organisations; an organisation's models with size, pinned
/// revision, other refs and how much is in this node's cache; a model's revisions and refs. The cache is only looked
/// at (<see cref="CacheInspector"/>), so this works while a daemon owns it.
/// </summary>
internal static class LsCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var target = new Argument<string?>("org[/model]") { Description = "Nothing: organisations; ORG: its models; ORG/MODEL: its revisions and refs", Arity = ArgumentArity.ZeroOrOne };
        var cache = new CacheOptions();
        var json = CliOutput.JsonOption();
        var command = new Command("ls", "List organisations, models, or a model's revisions in the store") { target, cache.Directory, json };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("ls", parse.GetValue(json));
            var text = parse.GetValue(target);
            ModelTarget? parsed = null;
            if (text is not null && !ModelTarget.TryParse(text, allowOrgOnly: true, allowRevision: false, out parsed, out var error))
            {
                return output.BadUsage(error);
            }

            var settings = cache.ApplyDirectory(SettingsLoader.Load(parse, envFile).Settings, parse);
            return await StoreSession.RunAsync(output, settings, session => parsed switch
            {
                null => ListOrganizationsAsync(output, session, ct),
                { Model: null } => ListModelsAsync(output, session, parsed.Org, ct),
                _ => ListRevisionsAsync(output, session, parsed.Org, parsed.Model, ct),
            }, ct);
        });
        return command;
    }

    private static async Task<int> ListOrganizationsAsync(CliOutput output, StoreSession session, CancellationToken ct)
    {
        var orgs = new List<OrgRow>();
        foreach (var org in await session.Catalog.ListOrganizationsAsync(ct))
        {
            orgs.Add(new OrgRow(org, (await session.Catalog.ListModelsAsync(org, ct)).Count));
        }

        if (output.IsJson)
        {
            output.WriteJson(new { Orgs = orgs });
            return ExitCodes.Ok;
        }

        var table = new TextTable("ORG", "MODELS");
        orgs.ForEach(o => table.Add(o.Name, o.Models.ToString(CultureInfo.InvariantCulture)));
        table.WriteTo(output.Out);
        return ExitCodes.Ok;
    }

    private static async Task<int> ListModelsAsync(CliOutput output, StoreSession session, string org, CancellationToken ct)
    {
        var names = await session.Catalog.ListModelsAsync(org, ct);
        if (names.Count == 0)
        {
            return output.Fail($"no organisation '{org}' in the store {session.Store.Name}");
        }

        var cache = CacheInspector.Inspect(session.Settings.CacheDirectory);
        var rows = new List<ModelRow>();
        foreach (var name in names)
        {
            var revision = await session.Catalog.ResolveAsync(org, name, null, ct);
            var refs = ModelInventory.CurrentRefs(await session.Inventory.ListRefEntriesAsync(org, name, ct));
            rows.Add(Row(name, revision, refs, cache));
        }

        if (output.IsJson)
        {
            output.WriteJson(new { Org = org, CacheDirectory = cache.Directory, Models = rows });
            return ExitCodes.Ok;
        }

        var table = new TextTable("MODEL", "KIND", "SIZE", "FILES", "REVISION", "OTHER REFS", "CACHED");
        foreach (var row in rows)
        {
            table.Add(
                row.Name,
                row.Kind,
                row.Size is { } size ? ByteSize.Format(size) : "-",
                row.Files?.ToString(CultureInfo.InvariantCulture) ?? "-",
                row.Commit is { } commit ? Short(commit) : "-",
                row.OtherRefs.Count == 0 ? "-" : string.Join(", ", row.OtherRefs.Select(r => $"{r.Key}={Short(r.Value)}")),
                row.CachedPercent is { } percent ? percent.ToString(CultureInfo.InvariantCulture) + "%" : "-");
        }

        table.WriteTo(output.Out);
        return ExitCodes.Ok;
    }

    private static async Task<int> ListRevisionsAsync(CliOutput output, StoreSession session, string org, string model, CancellationToken ct)
    {
        var entries = await session.Inventory.ListRefEntriesAsync(org, model, ct);
        var refs = ModelInventory.CurrentRefs(entries);
        var cache = CacheInspector.Inspect(session.Settings.CacheDirectory);
        var revisions = new List<RevisionRow>();
        foreach (var commit in await session.Inventory.ListCommitFoldersAsync(org, model, ct))
        {
            var manifest = await session.Catalog.ReadManifestAsync(org, model, commit, null, ct);
            if (manifest is null)
            {
                // A folder without a manifest is an ingest in progress or abandoned: not a revision (yet).
                revisions.Add(new RevisionRow(commit, Complete: false, null, null, null, null, null, [], null));
                continue;
            }

            var revision = ModelRevision.FromManifest(manifest, session.Layout);
            revisions.Add(new RevisionRow(
                commit, Complete: true, manifest.Source, manifest.IngestedAt, revision.TotalSize, revision.FileCount, manifest.Revision,
                refs.Where(r => r.Value == commit).Select(r => r.Key).Order(StringComparer.Ordinal).ToList(),
                RevisionFiles.Percent(RevisionFiles.CachedBytes(cache, revision), revision.TotalSize)));
        }

        ModelRow? plain = null;
        if (revisions.Count == 0 && entries.Count == 0)
        {
            var revision = await session.Catalog.ResolveAsync(org, model, null, ct);
            if (revision is null)
            {
                return output.Fail($"no model '{org}/{model}' in the store {session.Store.Name}");
            }

            plain = Row(model, revision, refs, cache);
        }

        if (output.IsJson)
        {
            output.WriteJson(new { Org = org, Model = model, Kind = plain?.Kind ?? "managed", Refs = refs, Revisions = revisions, Plain = plain });
            return ExitCodes.Ok;
        }

        if (plain is not null)
        {
            output.WriteLine($"{org}/{model}: plain folder (unmanaged, no revisions): {plain.Files} files, {ByteSize.Format(plain.Size ?? 0)}, {plain.CachedPercent}% cached");
            return ExitCodes.Ok;
        }

        var table = new TextTable("COMMIT", "REFS", "SOURCE", "INGESTED", "SIZE", "FILES", "CACHED");
        foreach (var row in revisions)
        {
            table.Add(
                row.Commit,
                row.Refs.Count == 0 ? "-" : string.Join(", ", row.Refs),
                row.Complete ? row.Source ?? "-" : "incomplete",
                row.IngestedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-",
                row.Size is { } size ? ByteSize.Format(size) : "-",
                row.Files?.ToString(CultureInfo.InvariantCulture) ?? "-",
                row.CachedPercent is { } percent ? percent.ToString(CultureInfo.InvariantCulture) + "%" : "-");
        }

        table.WriteTo(output.Out);
        foreach (var dangling in refs.Where(r => !revisions.Any(v => v.Commit == r.Value && v.Complete)))
        {
            output.WriteLine($"ref {dangling.Key} points at {dangling.Value}, which has no manifest in the store");
        }

        return ExitCodes.Ok;
    }

    private static ModelRow Row(string name, ModelRevision? revision, IReadOnlyDictionary<string, string> refs, CacheSnapshot cache)
    {
        var others = refs.Where(r => r.Key != StoreLayout.DefaultRef).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
        if (revision is null)
        {
            // Managed (it has .hcpmodelfs/ keys) but no default revision: an ingest not finished, or a ref without manifest.
            return new ModelRow(name, "incomplete", null, null, null, others, null);
        }

        var cached = RevisionFiles.CachedBytes(cache, revision);
        return new ModelRow(
            name,
            revision.Immutable ? "managed" : "plain",
            revision.TotalSize,
            revision.FileCount,
            revision.Immutable ? revision.Commit : null,
            others,
            RevisionFiles.Percent(cached, revision.TotalSize));
    }

    private static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;

    private sealed record OrgRow(string Name, int Models);

    private sealed record ModelRow(string Name, string Kind, long? Size, int? Files, string? Commit, IReadOnlyDictionary<string, string> OtherRefs, int? CachedPercent);

    private sealed record RevisionRow(
        string Commit, bool Complete, string? Source, DateTimeOffset? IngestedAt, long? Size, int? Files, string? RevisionName,
        IReadOnlyList<string> Refs, int? CachedPercent);
}
