using System.CommandLine;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Commands.Export;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Hosting;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs export ORG/MODEL[@REV]... DIR`: copy models out of the store (init containers), every byte checked
/// against the manifest, as a plain tree or the Hugging Face cache layout. Exit 0 all exported, 1 any failed, 2 bad
/// usage, 130 interrupted (files already renamed into place are complete; nothing partial has a final name).
/// </summary>
internal static class ExportCommand
{
    public static Command Create(Option<string?> envFile)
    {
        // One argument list, the destination last: System.CommandLine cannot give a list argument a single one after it.
        var arguments = new Argument<string[]>("ORG/MODEL[@REV]... DIR")
        {
            Description = "Models to export (none with -f), then the destination folder (created if missing)",
            Arity = ArgumentArity.OneOrMore,
        };
        var include = new Option<string[]>("--include") { Description = "Only files matching this glob (repeatable; huggingface_hub allow_patterns rules)", AllowMultipleArgumentsPerToken = false };
        var exclude = new Option<string[]>("--exclude") { Description = "Skip files matching this glob (repeatable; wins over --include)" };
        var hfLayout = new Option<bool>("--hf-cache-layout") { Description = "Write the Hugging Face cache layout (models--ORG--NAME/{blobs,snapshots,refs}) for HF_HUB_CACHE=DIR HF_HUB_OFFLINE=1" };
        var file = new Option<string?>("--file", "-f") { Description = "YAML list of models with optional revision/include/exclude (docs/commands/export.md)" };
        var json = CliOutput.JsonOption();
        var command = new Command("export", "Copy models out of the store into a folder (plain or Hugging Face cache layout), verified against their manifests")
        {
            arguments, include, exclude, hfLayout, file, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("export", parse.GetValue(json));
            try
            {
                return await PrepareAndRunAsync(parse, output, ct);
            }
            catch (FormatException ex)
            {
                return output.BadUsage(ex.Message);
            }
        });
        return command;

        async Task<int> PrepareAndRunAsync(ParseResult parse, CliOutput output, CancellationToken ct)
        {
            var defaults = new GlobFilter(parse.GetValue(include) ?? [], parse.GetValue(exclude) ?? []);
            var positional = parse.GetValue(arguments) ?? [];
            var requests = new List<ExportRequest>();
            foreach (var name in positional[..^1])
            {
                requests.Add(ExportRequest.TryParse(name, defaults)
                    ?? throw new FormatException($"'{name}' is not ORG/MODEL or ORG/MODEL@REVISION with valid Hub names"));
            }

            if (parse.GetValue(file) is { } listPath)
            {
                if (!File.Exists(listPath))
                {
                    return output.BadUsage($"{listPath} does not exist (-f)");
                }

                requests.AddRange(ModelsFile.Parse(await File.ReadAllTextAsync(listPath, ct), listPath, defaults));
            }

            if (requests.Count == 0)
            {
                return output.BadUsage("give the models (ORG/MODEL[@REV]) or -f models.yaml, then the destination folder");
            }

            var destination = positional[^1];
            if (File.Exists(destination))
            {
                return output.BadUsage($"{destination} is a file, not a folder");
            }

            var settings = SettingsLoader.Load(parse, envFile).Settings;
            return await RunAsync(settings, requests, Path.GetFullPath(destination), parse.GetValue(hfLayout), output, ct);
        }
    }

    private static async Task<int> RunAsync(DaemonSettings settings, IReadOnlyList<ExportRequest> requests, string destination, bool hfLayout, CliOutput output, CancellationToken cancellationToken)
    {
        using var loggerFactory = Logging.Create(settings.LogLevel, settings.LogFormat, settings.LogFile);
        var logger = loggerFactory.CreateLogger("hcpmodelfs.export");
        using var shutdown = new ShutdownSignal();
        using var stop = shutdown.Link(cancellationToken);
        var store = ObjectStoreFactory.Create(settings.Store, settings.LocalStoreDirectory, loggerFactory);
        using var catalog = new ModelCatalog(store, new StoreLayout(settings.Store.Prefix), new CatalogOptions(), loggerFactory.CreateLogger<ModelCatalog>());
        var exporter = new ModelExporter(store);
        Directory.CreateDirectory(destination);
        var results = new List<ModelExportResult>();
        try
        {
            foreach (var request in requests)
            {
                results.Add(await ExportOneAsync(catalog, exporter, request, destination, hfLayout, output, logger, stop.Token));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return output.Fail("interrupted; files with their final names are complete, a later run rewrites the rest", ExitCodes.Interrupted);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }

        Write(output, results);
        return results.Any(r => r.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<ModelExportResult> ExportOneAsync(
        ModelCatalog catalog, ModelExporter exporter, ExportRequest request, string destination, bool hfLayout,
        CliOutput output, ILogger logger, CancellationToken ct)
    {
        try
        {
            var revision = await catalog.ResolveAsync(request.Org, request.Model, request.Revision, ct);
            if (revision is null)
            {
                return Failed(request, $"not in the store (fetch it first: hcpmodelfs prefetch {request.Text})", logger);
            }

            var files = ModelExporter.Select(revision, request.Filter);
            if (files.Count == 0)
            {
                return Failed(request, $"none of its {revision.FileCount} files matches the include/exclude globs", logger);
            }

            IExportLayout layout = hfLayout
                ? new HfCacheLayout(destination, revision, request.Revision)
                : new PlainLayout(destination, request.Org, request.Model);
            var bytes = files.Sum(f => f.Size);
            await ByteProgress.RunAsync(output, request.Text, bytes, (done, total) => ExportLog.Progress(logger, request.Text, done, total, files.Count), async progress =>
            {
                await exporter.ExportAsync(files, layout, progress.Report, ct);
                return true;
            });

            var commit = layout is HfCacheLayout hf ? hf.Commit : revision.Commit;
            ExportLog.Done(logger, request.Text, commit, layout.ModelPath, files.Count, bytes);
            return new ModelExportResult(request.Text, commit, files.Count, bytes, layout.ModelPath);
        }
        catch (Exception ex) when (ex is StoreException or ExportVerificationException or IOException or UnauthorizedAccessException)
        {
            return Failed(request, ex.Message, logger);
        }
    }

    private static ModelExportResult Failed(ExportRequest request, string reason, ILogger logger)
    {
        ExportLog.Failed(logger, request.Text, reason);
        return new ModelExportResult(request.Text, null, 0, 0, null, reason);
    }

    private static void Write(CliOutput output, IReadOnlyList<ModelExportResult> results)
    {
        if (output.IsJson)
        {
            output.WriteJson(new { Ok = results.All(r => r.Error is null), Models = results });
            return;
        }

        foreach (var result in results)
        {
            if (result.Error is null)
            {
                output.WriteLine($"{result.Model} ({result.Commit}): {result.Files} files, {ByteSize.Format(result.Bytes)} -> {result.Path}");
            }
            else
            {
                output.Fail($"{result.Model}: {result.Error}");
            }
        }
    }
}
