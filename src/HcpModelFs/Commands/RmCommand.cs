using System.CommandLine;
using System.Globalization;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Naming;
using HcpModelFs.Hosting;
using HcpModelFs.Store;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs rm ORG/MODEL[@REV] --cache|--store|--all`: drop a model (or one revision) from this node's cache, from
/// the store, or both. Store deletions need `--yes`; they go manifest first (see <see cref="ModelRemover"/>), and a
/// failure says exactly what is left. Cache removal needs the cache directory's lock: not while a daemon runs on it.
/// </summary>
internal static class RmCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var target = new Argument<string>("org/model[@rev]") { Description = "The model, or one revision of it (branch, tag or commit)" };
        var fromCache = new Option<bool>("--cache") { Description = "Remove its blocks from this node's cache" };
        var fromStore = new Option<bool>("--store") { Description = "Delete it from the store (needs --yes)" };
        var all = new Option<bool>("--all") { Description = "Both: the store (needs --yes), then the cache" };
        var yes = new Option<bool>("--yes") { Description = "Really delete from the store (without it: say what would be deleted, exit 2)" };
        var cache = new CacheOptions();
        var json = CliOutput.JsonOption();
        var command = new Command("rm", "Remove a model from the local cache, the store, or both") { target, fromCache, fromStore, all, yes, cache.Directory, json };
        command.SetAction(async (parse, token) =>
        {
            var output = new CliOutput("rm", parse.GetValue(json));
            if (!ModelTarget.TryParse(parse.GetValue(target)!, allowOrgOnly: false, allowRevision: true, out var parsed, out var error))
            {
                return output.BadUsage(error);
            }

            var (c, s, a) = (parse.GetValue(fromCache), parse.GetValue(fromStore), parse.GetValue(all));
            if ((c ? 1 : 0) + (s ? 1 : 0) + (a ? 1 : 0) != 1)
            {
                return output.BadUsage("say what to remove: exactly one of --cache, --store, --all");
            }

            var settings = cache.ApplyDirectory(SettingsLoader.Load(parse, envFile).Settings, parse);
            var request = new Request(parsed, Cache: c || a, Store: s || a, parse.GetValue(yes));

            // SIGINT/SIGTERM stop the deletes between two keys, so the last line can say exactly what is left.
            using var shutdown = new ShutdownSignal();
            using var stop = shutdown.Link(token);
            var ct = stop.Token;
            if (!request.Store)
            {
                // The cache alone needs no store: its sidecars name the keys. A ref name needs the store to mean a commit.
                return parsed.Revision is null || ModelName.IsCommitSha(parsed.Revision)
                    ? RemoveFromCache(output, settings, request, parsed.Revision, storeReport: null)
                    : await StoreSession.RunAsync(output, settings, async session =>
                        await ResolveCommitAsync(session, parsed, ct) is { } commit
                            ? RemoveFromCache(output, settings, request, commit, storeReport: null)
                            : output.Fail($"no ref or commit '{parsed.Revision}' of {parsed.Org}/{parsed.Model} in the store {session.Store.Name}"), ct);
            }

            return await StoreSession.RunAsync(output, settings, session => RemoveFromStoreAsync(output, session, request, ct), ct);
        });
        return command;
    }

    private static async Task<int> RemoveFromStoreAsync(CliOutput output, StoreSession session, Request request, CancellationToken ct)
    {
        var target = request.Target;
        string? commit = null;
        if (target.Revision is not null && (commit = await ResolveCommitAsync(session, target, ct)) is null)
        {
            return output.Fail($"no ref or commit '{target.Revision}' of {target.Org}/{target.Model} in the store {session.Store.Name}");
        }

        var remover = new ModelRemover(session.Store, session.Layout);
        var plan = await remover.PlanAsync(target.Org, target.Model!, commit, ct);
        if (plan.IsEmpty)
        {
            return output.Fail($"no model '{target.Text}' in the store {session.Store.Name}");
        }

        var what = Describe(plan);
        if (!request.Yes)
        {
            return output.BadUsage($"would delete {what} from {session.Store.Name}; add --yes to delete");
        }

        // Take the cache lock before deleting anything: --all must not stop half-way because a daemon holds the cache.
        var refusal = ExitCodes.Ok;
        using var directoryLock = request.Cache ? CacheLocking.TryAcquire(output, session.Settings, out refusal) : null;
        if (request.Cache && directoryLock is null)
        {
            return refusal;
        }

        var result = await remover.ExecuteAsync(plan, ct);
        if (!result.Completed)
        {
            var reason = result.Interrupted
                ? "interrupted"
                : result.Error is { Kind: StoreErrorKind.AccessDenied or StoreErrorKind.AlreadyExists } refused
                    ? $"the store refused to delete {result.FailedKey} ({refused.Message}): HCP retention or a hold protects it"
                    : StoreSession.Describe(result.Error!, session.Store.Name);
            return output.Fail($"{reason}; {result.DescribeLeft()}", result.Interrupted ? ExitCodes.Interrupted : ExitCodes.Failed);
        }

        var storeReport = new StoreReport(plan.Prefix, result.Deleted, plan.Objects.Count, plan.ObjectBytes);
        if (directoryLock is not null)
        {
            return RemoveWithLock(output, directoryLock, session.Layout, request, commit, storeReport);
        }

        Report(output, request.Target, storeReport, null);
        return ExitCodes.Ok;
    }

    private static int RemoveFromCache(CliOutput output, DaemonSettings settings, Request request, string? commit, StoreReport? storeReport)
    {
        if (!Directory.Exists(settings.CacheDirectory))
        {
            return output.Fail($"no cache directory at {Path.GetFullPath(settings.CacheDirectory)}");
        }

        using var directoryLock = CacheLocking.TryAcquire(output, settings, out var refusal);
        return directoryLock is null
            ? refusal
            : RemoveWithLock(output, directoryLock, new StoreLayout(settings.Store.Prefix), request, commit, storeReport);
    }

    private static int RemoveWithLock(CliOutput output, CacheDirectoryLock directoryLock, StoreLayout layout, Request request, string? commit, StoreReport? storeReport)
    {
        var target = request.Target;
        var prefix = commit is null ? layout.ModelPrefix(target.Org, target.Model!) : layout.RevisionPrefix(target.Org, target.Model!, commit);
        var (objects, bytes) = new CacheMaintenance(directoryLock).Remove(key => key.StartsWith(prefix, StringComparison.Ordinal));
        Report(output, target, storeReport, new CacheReport(directoryLock.Directory, objects, bytes));
        return ExitCodes.Ok;
    }

    private static void Report(CliOutput output, ModelTarget target, StoreReport? store, CacheReport? cache)
    {
        if (output.IsJson)
        {
            output.WriteJson(new { Model = target.Text, Store = store, Cache = cache });
            return;
        }

        if (store is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Text}: deleted {store.KeysDeleted} keys ({store.Objects} objects, {ByteSize.Format(store.Bytes)}) under {store.Prefix} from the store"));
        }

        if (cache is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Text}: removed {cache.Objects} objects ({ByteSize.Format(cache.Bytes)}) from the cache {cache.Directory}"));
        }
    }

    /// <summary>A commit as given, or the commit a ref points at now; null when neither exists.</summary>
    private static async Task<string?> ResolveCommitAsync(StoreSession session, ModelTarget target, CancellationToken ct)
    {
        if (ModelName.IsCommitSha(target.Revision!))
        {
            return target.Revision;
        }

        var refs = ModelInventory.CurrentRefs(await session.Inventory.ListRefEntriesAsync(target.Org, target.Model!, ct));
        return refs.TryGetValue(target.Revision!, out var commit) ? commit : null;
    }

    private static string Describe(RemovalPlan plan) => string.Create(
        CultureInfo.InvariantCulture,
        $"{plan.Org}/{plan.Model}{(plan.Commit is null ? string.Empty : "@" + plan.Commit)}: {plan.Manifests.Count} revision(s), {plan.Objects.Count} objects ({ByteSize.Format(plan.ObjectBytes)}), {plan.Refs.Count} ref entries, {plan.Metadata.Count} other metadata keys under {plan.Prefix}");

    private sealed record Request(ModelTarget Target, bool Cache, bool Store, bool Yes);

    private sealed record StoreReport(string Prefix, int KeysDeleted, int Objects, long Bytes);

    private sealed record CacheReport(string Directory, int Objects, long Bytes);
}
