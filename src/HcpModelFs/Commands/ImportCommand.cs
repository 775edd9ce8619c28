using HcpModelFs.Core.Transfer;
using System.CommandLine;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Commands.Export;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Import;
using HcpModelFs.Hosting;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs import s3://BUCKET/PREFIX ORG/MODEL`: copy a model folder from another S3-compatible store into the
/// managed layout (docs/commands/import.md). The source's endpoint and keys are HCPMODELFS_SOURCE_* settings or
/// --source-* flags (secrets only from the environment or files). Exit 0 imported, 1 failed (a source object changed,
/// a store error: nothing committed, a re-run resumes), 2 bad arguments or settings, 130 interrupted.
/// </summary>
internal static class ImportCommand
{
    private sealed record ImportOutput(string Model, string Commit, string Source, int Files, long Bytes, long CopiedBytes, int ResumedFiles,
        bool AlreadyImported, bool RangedReads);

    public static Command Create(Option<string?> envFile)
    {
        var sourceUrl = new Argument<string>("source") { Description = "The folder to import, s3://BUCKET/PREFIX" };
        var name = new Argument<string>("org/model") { Description = "Where to put it, e.g. acme/llama-tuned" };
        var revision = new Option<string>("--revision") { Description = "Ref name to point at the import as well as the default", DefaultValueFactory = _ => "main" };
        var include = new Option<string[]>("--include") { Description = "Only source paths matching this glob (repeatable; as export)" };
        var exclude = new Option<string[]>("--exclude") { Description = "Skip source paths matching this glob (repeatable; wins over --include)" };
        var partSize = new Option<string>("--part-size") { Description = "Bytes per ranged GET and multipart part, 5MiB to 512MiB", DefaultValueFactory = _ => "16MiB" };
        var parallel = new Option<int>("--parallel") { Description = "Parts read at once and parts uploaded at once (memory is about 2 x parallel x part size)", DefaultValueFactory = _ => 8 };
        var endpoint = new Option<string?>("--source-endpoint") { Description = "S3 endpoint of the source store (HCPMODELFS_SOURCE_ENDPOINT)" };
        var region = new Option<string?>("--source-region") { Description = "Region of the source store (HCPMODELFS_SOURCE_REGION; default us-east-1)" };
        var noVerify = new Option<bool>("--source-no-verify-ssl") { Description = "Accept any TLS certificate from the source (HCPMODELFS_SOURCE_VERIFY_SSL=false)" };
        var rootCa = new Option<string?>("--source-root-ca") { Description = "CA bundle for the source's TLS certificate (HCPMODELFS_SOURCE_ROOT_CA_PATH)" };
        var accessKeyFile = new Option<string?>("--source-access-key-file") { Description = "File holding the source's access key (HCPMODELFS_SOURCE_ACCESS_KEY_FILE)" };
        var secretKeyFile = new Option<string?>("--source-secret-key-file") { Description = "File holding the source's secret key (HCPMODELFS_SOURCE_SECRET_KEY_FILE)" };
        var json = CliOutput.JsonOption();
        var command = new Command("import", "Copy a model folder from another S3-compatible store (objects, then manifest, then ref)")
        {
            sourceUrl, name, revision, include, exclude, partSize, parallel, endpoint, region, noVerify, rootCa, accessKeyFile, secretKeyFile, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("import", parse.GetValue(json));
            if (!ImportSource.TryParseUrl(parse.GetValue(sourceUrl)!, out var bucket, out var prefix, out var urlError))
            {
                return output.BadUsage(urlError);
            }

            if (!ModelTarget.TryParse(parse.GetValue(name)!, allowOrgOnly: false, allowRevision: false, out var target, out var nameError))
            {
                return output.BadUsage(nameError);
            }

            if (!ByteSize.TryParse(parse.GetValue(partSize), out var part) || part is < PartPlan.MinPartSize or > PartPlan.MaxPartSize)
            {
                return output.BadUsage("--part-size must be a size from 5MiB to 512MiB");
            }

            if (parse.GetValue(parallel) is not (>= 1 and <= 64) and var n)
            {
                return output.BadUsage($"--parallel must be from 1 to 64, not {n}");
            }

            var flags = new Dictionary<string, string>(StringComparer.Ordinal);
            void Flag(string variable, string? value)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    flags[variable] = value;
                }
            }

            Flag("HCPMODELFS_SOURCE_ENDPOINT", parse.GetValue(endpoint));
            Flag("HCPMODELFS_SOURCE_REGION", parse.GetValue(region));
            Flag("HCPMODELFS_SOURCE_VERIFY_SSL", parse.GetValue(noVerify) ? "false" : null);
            Flag("HCPMODELFS_SOURCE_ROOT_CA_PATH", parse.GetValue(rootCa));
            Flag("HCPMODELFS_SOURCE_ACCESS_KEY_FILE", parse.GetValue(accessKeyFile));
            Flag("HCPMODELFS_SOURCE_SECRET_KEY_FILE", parse.GetValue(secretKeyFile));

            DaemonSettings settings;
            Store.Configuration.StoreSettings source;
            try
            {
                var effective = SettingsLoader.Load(parse, envFile, flags);
                settings = effective.Settings;
                source = SourceStoreSettingsBinder.Bind(WithoutShadowedCredentials(effective.Layers.Values, flags), bucket, settings.Store);
            }
            catch (FormatException ex)
            {
                return output.BadUsage(ex.Message);
            }

            var options = new ImportOptions
            {
                PartSize = (int)part,
                Parallelism = parse.GetValue(parallel),
                Revision = parse.GetValue(revision)!,
                Include = new GlobFilter(parse.GetValue(include) ?? [], parse.GetValue(exclude) ?? []).Matches,
            };
            return await RunAsync(settings, source, bucket, prefix, target, options, output, ct);
        });
        return command;
    }

    /// <summary>A key file given as a flag replaces a key value set in a lower layer (else the binder sees both and refuses).</summary>
    private static Dictionary<string, string> WithoutShadowedCredentials(IReadOnlyDictionary<string, string> values, Dictionary<string, string> flags)
    {
        var result = new Dictionary<string, string>(values, StringComparer.Ordinal);
        foreach (var file in flags.Keys.Where(k => k.EndsWith("_FILE", StringComparison.Ordinal)))
        {
            result.Remove(file[..^"_FILE".Length]);
        }

        return result;
    }

    private static async Task<int> RunAsync(DaemonSettings settings, Store.Configuration.StoreSettings sourceSettings, string bucket, string prefix,
        ModelTarget target, ImportOptions options, CliOutput output, CancellationToken ct)
    {
        using var loggerFactory = Logging.Create(settings.LogLevel, settings.LogFormat, settings.LogFile);
        var logger = loggerFactory.CreateLogger("hcpmodelfs.import");
        using var shutdown = new ShutdownSignal();
        using var stop = shutdown.Link(ct);
        var destination = ObjectStoreFactory.Create(settings.Store, settings.LocalStoreDirectory, loggerFactory);
        var sourceStore = ObjectStoreFactory.Create(sourceSettings, settings.LocalStoreDirectory, loggerFactory);
        var source = new ImportSource(sourceStore, bucket, prefix);
        var text = $"{target.Org}/{target.Model}";
        try
        {
            var importer = new ModelImporter(destination, new StoreLayout(settings.Store.Prefix), loggerFactory.CreateLogger<ModelImporter>());
            var plan = await ModelImporter.PlanAsync(source, target.Org, target.Model!, options, stop.Token);
            var result = await ByteProgress.RunAsync(output, text, plan.TotalBytes, (done, all) => ImportCommandLog.Progress(logger, text, done, all),
                progress => importer.ImportAsync(plan, progress, stop.Token));
            var shown = new ImportOutput(text, result.Commit, source.Url, result.Files, result.Bytes, result.CopiedBytes, result.ResumedFiles,
                result.AlreadyImported, result.RangedReads);
            if (output.IsJson)
            {
                output.WriteJson(shown);
            }
            else
            {
                var how = result.AlreadyImported ? "already imported" : $"{ByteSize.Format(result.CopiedBytes)} copied";
                output.WriteLine($"{text}@{result.Commit}: {result.Files} files, {ByteSize.Format(result.Bytes)} from {source.Url} ({how})");
            }

            return ExitCodes.Ok;
        }
        catch (ArgumentException ex)
        {
            return output.BadUsage(ex.Message);
        }
        catch (ImportFailedException ex)
        {
            return output.Fail(ex.Message);
        }
        catch (StoreException ex)
        {
            return output.Fail($"object store error ({ex.Kind}): {ex.Message}; nothing is visible until the manifest is written, a re-run resumes");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return output.Fail("interrupted; nothing is visible until the manifest is written, a re-run resumes", ExitCodes.Interrupted);
        }
        finally
        {
            (destination as IDisposable)?.Dispose();
            (sourceStore as IDisposable)?.Dispose();
        }
    }
}
