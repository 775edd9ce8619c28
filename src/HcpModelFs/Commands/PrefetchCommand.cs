using System.CommandLine;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Naming;
using HcpModelFs.Hosting;
using HcpModelFs.Hub;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs prefetch ORG/MODEL[@REV]...`: ingest models from the Hub into the store without a mount (an init
/// container, a cron job, a pre-warm before a rollout). Progress bars on a terminal, log lines otherwise; the exit code
/// says whether every model made it (0 all, 1 some failed, 2 bad arguments, 130 interrupted).
/// </summary>
internal static class PrefetchCommand
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(5);

    public static Command Create(Option<string?> envFile)
    {
        var models = new Argument<string[]>("models") { Description = "Models as ORG/MODEL or ORG/MODEL@REVISION (branch, tag or commit)", Arity = ArgumentArity.OneOrMore };
        var warm = new Option<bool>("--warm-cache") { Description = "Also keep the model in this node's local block cache (MODEL_CACHE_DIR)" };
        var json = CliOutput.JsonOption();
        var command = new Command("prefetch", "Fetch models from the Hugging Face Hub into the store (no mount needed)") { models, warm, json };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("prefetch", parse.GetValue(json));
            if (output.LoadSettings(parse, envFile) is not { } settings)
            {
                return ExitCodes.BadUsage;
            }

            return await RunAsync(settings, parse.GetValue(models)!, parse.GetValue(warm), output, ct);
        });
        return command;
    }

    private sealed record PrefetchResult(string Model, string? Commit, int Files, long Bytes, bool AlreadyStored, string? Error = null);

    private static async Task<int> RunAsync(DaemonSettings settings, string[] names, bool warmCache, CliOutput output, CancellationToken cancellationToken)
    {
        var requests = new List<(string Org, string Model, string? Revision, string Text)>();
        foreach (var name in names)
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || !ModelName.IsValid(name.AsSpan(0, slash)) || !ModelName.TryParseModelEntry(name[(slash + 1)..], out var model, out var revision))
            {
                return output.BadUsage($"'{name}' is not ORG/MODEL or ORG/MODEL@REVISION with valid Hub names");
            }

            requests.Add((name[..slash], model, revision, name));
        }

        if (!settings.HubPolicy.Enabled)
        {
            return output.BadUsage("Hub ingest is off (HCPMODELFS_HUB_INGEST=off)");
        }

        // Without --warm-cache the blocks pass through a scratch cache that is removed afterwards.
        var scratch = warmCache ? null : ScratchCaches.Claim(settings.CacheDirectory, "prefetch");
        using var loggerFactory = Logging.Create(settings.LogLevel, settings.LogFormat, settings.LogFile);
        var logger = loggerFactory.CreateLogger("hcpmodelfs.prefetch");
        using var shutdown = new ShutdownSignal();
        using var stop = shutdown.Link(cancellationToken);
        var results = new List<PrefetchResult>();
        try
        {
            using var services = new ModelServices(settings, loggerFactory, scratch, ingestThroughCache: warmCache);
            foreach (var request in requests)
            {
                try
                {
                    results.Add(await PrefetchOneAsync(services, request.Org, request.Model, request.Revision, request.Text, warmCache, output, logger, stop.Token));
                }
                catch (Exception ex) when (ex is StoreException or HubException or IngestFailedException or ModelAccessDeniedException or ModelNotFoundException or IOException)
                {
                    PrefetchLog.Failed(logger, request.Text, ex.Message);
                    results.Add(new PrefetchResult(request.Text, null, 0, 0, false, ex.Message));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return output.Fail("interrupted; nothing half-written is visible, a later run resumes", ExitCodes.Interrupted);
        }
        finally
        {
            if (scratch is not null && Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        Write(output, results);
        return results.Any(r => r.Error is not null) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static void Write(CliOutput output, IReadOnlyList<PrefetchResult> results)
    {
        if (output.IsJson)
        {
            output.WriteJson(new { Ok = results.All(r => r.Error is null), Models = results });
            return;
        }

        foreach (var result in results)
        {
            if (result.Error is not null)
            {
                output.Fail($"{result.Model}: {result.Error}");
            }
            else
            {
                output.WriteLine($"{result.Model} ({result.Commit}): {result.Files} files, {ByteSize.Format(result.Bytes)}{(result.AlreadyStored ? ", already in the store" : string.Empty)}");
            }
        }
    }

    private static async Task<PrefetchResult> PrefetchOneAsync(ModelServices services, string org, string model, string? revision, string text, bool warmCache, CliOutput output, ILogger logger, CancellationToken ct)
    {
        var resolved = await services.Catalog.ResolveAsync(org, model, revision, ct)
            ?? throw new ModelNotFoundException($"{text} is neither in the store nor on the Hub (or not allowed by HCPMODELFS_HUB_ALLOW/DENY or the size limit)");
        if (resolved.Hub is null)
        {
            if (warmCache)
            {
                await WarmAsync(services.Cache, new StoreBlockSource(services.Store), resolved, ct);
            }

            PrefetchLog.AlreadyStored(logger, text, resolved.Commit, warmCache);
            return new PrefetchResult(text, resolved.Commit, resolved.FileCount, resolved.TotalSize, AlreadyStored: true);
        }

        var job = services.Ingest!.Start(resolved);
        await ShowProgressAsync(job, text, output, logger, ct);
        await job.Completion.WaitAsync(ct);
        if (warmCache)
        {
            // A node that only followed another node's ingest has fetched just what it verified: fill in the rest.
            await WarmAsync(services.Cache, job, resolved, ct);
        }

        PrefetchLog.Done(logger, text, resolved.Commit, resolved.FileCount, resolved.TotalSize);
        return new PrefetchResult(text, resolved.Commit, resolved.FileCount, resolved.TotalSize, AlreadyStored: false);
    }

    private static async Task WarmAsync(DiskBlockCache cache, IBlockSource source, ModelRevision revision, CancellationToken ct)
    {
        var stack = new Stack<RevisionDirectory>([revision.Root]);
        while (stack.TryPop(out var directory))
        {
            foreach (var child in directory.Directories.Values)
            {
                stack.Push(child);
            }

            foreach (var file in directory.Files.Values)
            {
                for (long block = 0; block * cache.BlockSize < file.Size; block++)
                {
                    await cache.EnsureBlockAsync(file.CacheId, block, source, ct);
                }
            }
        }
    }

    private static async Task ShowProgressAsync(IngestJob job, string text, CliOutput output, ILogger logger, CancellationToken ct)
    {
        if (output.IsInteractive && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                .StartAsync(async context =>
                {
                    var bars = job.Files.Select(f => (File: f, Task: context.AddTask($"{text}/{f.Path}", maxValue: Math.Max(f.Size, 1)))).ToList();
                    while (!job.Completion.IsCompleted)
                    {
                        foreach (var (file, task) in bars)
                        {
                            task.Value = file.BytesDone;
                        }

                        await Task.WhenAny(job.Completion, Task.Delay(200, ct));
                        ct.ThrowIfCancellationRequested();
                    }

                    foreach (var (file, task) in bars)
                    {
                        task.Value = file.IsStored ? task.MaxValue : file.BytesDone;
                    }
                });
            return;
        }

        while (!job.Completion.IsCompleted)
        {
            await Task.WhenAny(job.Completion, Task.Delay(LogEvery, ct));
            ct.ThrowIfCancellationRequested();
            PrefetchLog.Progress(logger, text, job.BytesStored, job.TotalBytes, job.Files.Count(f => f.IsStored), job.Files.Count);
        }
    }

    private sealed class ModelNotFoundException(string message) : Exception(message);
}
