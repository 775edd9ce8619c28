using System.CommandLine;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Import;
using HcpModelFs.Core.Naming;
using HcpModelFs.Hosting;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs upload ORG/MODEL FOLDER`: publish a local folder into the store in the managed layout. A progress bar
/// on a terminal (hashing, then uploading), log lines otherwise; `--json` prints the result. Exit 0 published,
/// 1 the store failed (a re-run resumes), 2 bad arguments, 130 interrupted.
/// </summary>
internal static class UploadCommand
{
    private sealed record UploadResult(string Model, string Commit, int Files, long Bytes);

    public static Command Create(Option<string?> envFile)
    {
        var name = new Argument<string>("org/model") { Description = "Where to publish, e.g. acme/llama-tuned" };
        var folder = new Argument<string>("folder") { Description = "The local folder to publish (all files below it)" };
        var revision = new Option<string>("--revision") { Description = "Ref name to point at the upload as well as the default", DefaultValueFactory = _ => "main" };
        var json = CliOutput.JsonOption();
        var command = new Command("upload", "Publish a local folder as a model (objects, then manifest, then ref)") { name, folder, revision, json };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("upload", parse.GetValue(json));
            var parts = parse.GetValue(name)!.Split('/');
            if (parts.Length != 2 || !ModelName.IsValid(parts[0]) || !ModelName.IsValid(parts[1]))
            {
                return output.BadUsage($"'{parse.GetValue(name)}' is not ORG/MODEL with valid Hub names");
            }

            var directory = parse.GetValue(folder)!;
            if (!Directory.Exists(directory))
            {
                return output.BadUsage($"{directory} is not a directory");
            }

            if (output.LoadSettings(parse, envFile) is not { } settings)
            {
                return ExitCodes.BadUsage;
            }

            return await RunAsync(settings, parts[0], parts[1], directory, parse.GetValue(revision)!, output, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(DaemonSettings settings, string org, string model, string directory, string revision, CliOutput output, CancellationToken ct)
    {
        using var loggerFactory = Logging.Create(settings.LogLevel, settings.LogFormat, settings.LogFile);
        var logger = loggerFactory.CreateLogger("hcpmodelfs.upload");
        using var shutdown = new ShutdownSignal();
        using var stop = shutdown.Link(ct);
        var store = ObjectStoreFactory.Create(settings.Store, settings.LocalStoreDirectory, loggerFactory);
        var text = $"{org}/{model}";
        try
        {
            var publisher = new ModelPublisher(store, new StoreLayout(settings.Store.Prefix), loggerFactory.CreateLogger<ModelPublisher>());
            var plan = await ModelPublisher.PlanAsync(org, model, directory, revision, stop.Token);
            var manifest = await ByteProgress.RunAsync(output, text, plan.TotalBytes, (done, all) => UploadLog.Progress(logger, text, done, all),
                progress => publisher.PublishAsync(plan, progress, stop.Token));
            var result = new UploadResult(text, manifest.Commit, manifest.Files.Count, manifest.Files.Sum(f => f.Size));
            if (output.IsJson)
            {
                output.WriteJson(result);
            }
            else
            {
                output.WriteLine($"{text}@{result.Commit}: {result.Files} files, {ByteSize.Format(result.Bytes)}");
            }

            return ExitCodes.Ok;
        }
        catch (ArgumentException ex)
        {
            return output.BadUsage(ex.Message);
        }
        catch (StoreException ex)
        {
            return output.Fail($"object store error ({ex.Kind}): {ex.Message}; nothing is visible until the manifest is written, a re-run resumes");
        }
        catch (ImportFailedException ex)
        {
            return output.Fail(ex.Message); // a file changed while it was read, or the folder is empty
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return output.Fail("interrupted; nothing is visible until the manifest is written, a re-run resumes", ExitCodes.Interrupted);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }
}
