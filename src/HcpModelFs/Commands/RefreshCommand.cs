using System.CommandLine;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Hosting;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs refresh ORG/MODEL`: the default revision is pinned when first ingested and never moves by itself
/// (design.md §3); this re-resolves it on the Hub on purpose and appends a HEAD ref entry. A commit the store lacks is
/// ingested first through the same IngestCoordinator as `prefetch` (leases, resume, verification); the ref moves only
/// once its manifest is in, so readers never see the new revision half-written.
/// </summary>
internal static class RefreshCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var target = new Argument<string>("org/model") { Description = "The model whose default revision to re-resolve on the Hub" };
        var json = CliOutput.JsonOption();
        var command = new Command("refresh", "Re-resolve a model's default revision on the Hub and pin it (ingesting it first if new)") { target, json };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("refresh", parse.GetValue(json));
            if (!ModelTarget.TryParse(parse.GetValue(target)!, allowOrgOnly: false, allowRevision: false, out var parsed, out var error))
            {
                return output.BadUsage(error);
            }

            var settings = SettingsLoader.Load(parse, envFile).Settings;
            if (!settings.HubPolicy.Enabled)
            {
                return output.BadUsage("Hub ingest is off (HCPMODELFS_HUB_INGEST=off): nothing to refresh from");
            }

            if (!settings.HubPolicy.Allows(parsed.Org, parsed.Model!))
            {
                return output.BadUsage($"{parsed.Text} is not allowed by HCPMODELFS_HUB_ALLOW / HCPMODELFS_HUB_DENY");
            }

            return await RunAsync(output, settings, parsed.Org, parsed.Model!, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliOutput output, DaemonSettings settings, string org, string model, CancellationToken cancellationToken)
    {
        using var shutdown = new ShutdownSignal();
        using var stop = shutdown.Link(cancellationToken);
        var ct = stop.Token;
        // Blocks of a new revision pass through a scratch cache removed afterwards, as with `prefetch` (no --warm-cache).
        var scratch = ScratchCaches.Claim(settings.CacheDirectory, "refresh");
        using var loggerFactory = StoreSession.QuietLogging(settings);
        try
        {
            using var services = new ModelServices(settings, loggerFactory, scratch, ingestThroughCache: false);
            var inventory = new ModelInventory(services.Store, services.Layout);
            var before = ModelInventory.CurrentRefs(await inventory.ListRefEntriesAsync(org, model, ct)).GetValueOrDefault(StoreLayout.DefaultRef);
            var resolved = await services.Hub!.ResolveRevisionAsync(HubRepoId.Parse(org + "/" + model), StoreLayout.DefaultRef, ct);
            var commit = resolved.CommitSha;
            var ingested = false;
            if (commit != before && await services.Store.HeadAsync(services.Layout.ManifestKey(org, model, commit), ct) is null)
            {
                // Named by commit, the ingest commits the manifest without touching any ref; HEAD moves below.
                var revision = await services.Catalog.ResolveAsync(org, model, commit, ct);
                if (revision?.Hub is null)
                {
                    return output.Fail($"{org}/{model}@{commit} could not be looked up on the Hub (not found, or over HCPMODELFS_HUB_MAX_MODEL_SIZE)");
                }

                var job = services.Ingest!.Start(revision);
                await job.Completion.WaitAsync(ct);
                ingested = true;
            }

            if (commit != before)
            {
                var publisher = new ModelPublisher(services.Store, services.Layout, loggerFactory.CreateLogger<ModelPublisher>());
                await publisher.AppendRefAsync(org, model, StoreLayout.DefaultRef, commit, ct);
            }

            if (output.IsJson)
            {
                output.WriteJson(new { Model = org + "/" + model, Previous = before, Commit = commit, Changed = commit != before, Ingested = ingested });
            }
            else
            {
                output.WriteLine(commit == before
                    ? $"{org}/{model}: already at the Hub's default revision {commit}"
                    : $"{org}/{model}: HEAD {(before is null ? "pinned" : "moved from " + before)} to {commit}" + (ingested ? " (ingested from the Hub)" : " (already in the store)"));
            }

            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return output.Fail("interrupted; HEAD was not moved, a later run resumes the ingest", ExitCodes.Interrupted);
        }
        catch (StoreException ex)
        {
            return output.Fail(StoreSession.Describe(ex, settings.Store.Endpoint?.GetLeftPart(UriPartial.Authority) ?? "store"));
        }
        catch (HubException ex) when (ex.Kind is HubErrorKind.RepoNotFound or HubErrorKind.RevisionNotFound)
        {
            return output.Fail($"{org}/{model} is not on the Hub ({ex.Message})");
        }
        catch (Exception ex) when (ex is HubException or IngestFailedException or ModelAccessDeniedException)
        {
            return output.Fail($"{org}/{model}: {ex.Message}");
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }
}
