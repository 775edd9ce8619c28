using System.CommandLine;
using System.Globalization;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs info ORG/MODEL[@REV]`: one revision in detail — commit, the refs pointing at it, where it came from
/// (Hub ingest or upload, and when), and every file with size, sha256 and how much of it this node's cache holds.
/// </summary>
internal static class InfoCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var target = new Argument<string>("org/model[@rev]") { Description = "The model, optionally at a branch, tag or commit (default: its pinned revision)" };
        var cache = new CacheOptions();
        var json = CliOutput.JsonOption();
        var command = new Command("info", "Show a model revision: commit, refs, source, files with sizes and sha256") { target, cache.Directory, json };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("info", parse.GetValue(json));
            if (!ModelTarget.TryParse(parse.GetValue(target)!, allowOrgOnly: false, allowRevision: true, out var parsed, out var error))
            {
                return output.BadUsage(error);
            }

            var settings = cache.ApplyDirectory(SettingsLoader.Load(parse, envFile).Settings, parse);
            return await StoreSession.RunAsync(output, settings, session => ShowAsync(output, session, parsed, ct), ct);
        });
        return command;
    }

    private static async Task<int> ShowAsync(CliOutput output, StoreSession session, ModelTarget target, CancellationToken ct)
    {
        var (org, model) = (target.Org, target.Model!);
        var revision = await session.Catalog.ResolveAsync(org, model, target.Revision, ct);
        if (revision is null)
        {
            return output.Fail($"no model '{target.Text}' in the store {session.Store.Name}" + (target.Revision is null ? string.Empty : " (no such ref or commit)"));
        }

        var manifest = revision.Immutable ? await session.Catalog.ReadManifestAsync(org, model, revision.Commit, null, ct) : null;
        var refs = ModelInventory.CurrentRefs(await session.Inventory.ListRefEntriesAsync(org, model, ct))
            .Where(r => r.Value == revision.Commit).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        var cache = CacheInspector.Inspect(session.Settings.CacheDirectory);
        var files = RevisionFiles.All(revision)
            .Select(f => new FileRow(f.Path, f.Size, f.CacheId.Sha256, RevisionFiles.Percent(Math.Min(f.Size, cache.PresentBytesOf(f.CacheId)), f.Size)))
            .ToList();
        var info = new InfoDocument(
            org,
            model,
            revision.Immutable ? "managed" : "plain",
            revision.Immutable ? revision.Commit : null,
            refs,
            manifest?.Source ?? "plain folder (unmanaged)",
            manifest?.Revision,
            manifest?.IngestedAt,
            revision.TotalSize,
            RevisionFiles.Percent(RevisionFiles.CachedBytes(cache, revision), revision.TotalSize),
            files);
        if (output.IsJson)
        {
            output.WriteJson(info);
            return ExitCodes.Ok;
        }

        output.WriteLine($"model:    {org}/{model}");
        output.WriteLine($"commit:   {info.Commit ?? "- (plain folder: no commit, served as listed)"}");
        output.WriteLine($"refs:     {(refs.Count == 0 ? "-" : string.Join(", ", refs))}");
        output.WriteLine($"source:   {info.Source}" + (info.ResolvedFrom is { } from ? $" (resolved from {from})" : string.Empty));
        if (info.IngestedAt is { } at)
        {
            output.WriteLine($"ingested: {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");
        }

        output.WriteLine($"size:     {ByteSize.Format(info.Size)} in {files.Count} files, {info.CachedPercent}% in the cache {cache.Directory}");
        output.WriteLine(string.Empty);
        var table = new TextTable("PATH", "SIZE", "SHA256", "CACHED");
        foreach (var file in files)
        {
            table.Add(file.Path, file.Size.ToString(CultureInfo.InvariantCulture), file.Sha256 ?? "-", file.CachedPercent.ToString(CultureInfo.InvariantCulture) + "%");
        }

        table.WriteTo(output.Out);
        return ExitCodes.Ok;
    }

    private sealed record FileRow(string Path, long Size, string? Sha256, int CachedPercent);

    private sealed record InfoDocument(
        string Org, string Model, string Kind, string? Commit, IReadOnlyList<string> Refs, string Source, string? ResolvedFrom,
        DateTimeOffset? IngestedAt, long Size, int CachedPercent, IReadOnlyList<FileRow> Files);
}
