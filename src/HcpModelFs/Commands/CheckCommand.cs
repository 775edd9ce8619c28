using System.CommandLine;
using HcpModelFs.Commands.Check;
using HcpModelFs.Commands.Cli;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Commands;

/// <summary>
/// `hcpmodelfs check`: reach the store and the Hub with the effective settings and report each item ok/FAIL (exit 1 if
/// any failed). Each network step is bounded (a dead endpoint fails in seconds): no retries, a short attempt timeout.
/// </summary>
internal static class CheckCommand
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(30);

    public static Command Create(Option<string?> envFile)
    {
        var json = CliOutput.JsonOption();
        var command = new Command("check", "Reach the store and the Hub with the effective settings and report what works (exit 1 on any failure)") { json };
        command.SetAction(async (parse, ct) =>
        {
            var output = new CliOutput("check", parse.GetValue(json));
            if (output.LoadSettings(parse, envFile) is not { } settings)
            {
                return ExitCodes.BadUsage;
            }

            var lines = new List<CheckLine>();
            lines.AddRange(await CheckStoreAsync(settings, ct));
            lines.AddRange(settings.HubPolicy.Enabled
                ? await HubCheck.RunAsync(settings.Hub, StepTimeout, ct)
                : [CheckLine.Ok("hub", "not used (HCPMODELFS_HUB_INGEST=off)")]);
            Write(output, lines);
            return lines.Any(l => l.Status == CheckStatus.Fail) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<IReadOnlyList<CheckLine>> CheckStoreAsync(DaemonSettings settings, CancellationToken ct)
    {
        var lines = new List<CheckLine>();
        if (settings.Store.IsS3)
        {
            var (reachable, probe) = await EndpointProbe.RunAsync(settings.Store, StepTimeout, ct);
            lines.AddRange(probe);
            if (!reachable)
            {
                lines.Add(CheckLine.Skip("store capabilities", "not checked: the store is not reachable"));
                return lines;
            }
        }
        else
        {
            lines.Add(CheckLine.Ok("store", "local directory " + (settings.Store.LocalDirectory ?? settings.LocalStoreDirectory) + " (no HCP_ENDPOINT)"));
        }

        // Bounded: one attempt per request with a short timeout, the whole store part within StoreTimeout.
        var storeSettings = settings.Store with { AttemptTimeout = StepTimeout, MaxRetries = 0 };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StoreTimeout);
        var store = ObjectStoreFactory.Create(storeSettings, settings.LocalStoreDirectory, NullLoggerFactory.Instance);
        try
        {
            lines.AddRange(await StoreChecks.RunAsync(store, new StoreLayout(settings.Store.Prefix), settings.Store.IsS3, timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            lines.Add(CheckLine.Fail("store capabilities", $"the checks did not finish within {StoreTimeout.TotalSeconds:0} s"));
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }

        return lines;
    }

    private static void Write(CliOutput output, IReadOnlyList<CheckLine> lines)
    {
        if (output.IsJson)
        {
            output.WriteJson(new
            {
                Ok = lines.All(l => l.Status != CheckStatus.Fail),
                Checks = lines.Select(l => new { l.Name, Status = l.Status.ToString().ToLowerInvariant(), l.Detail }),
            });
            return;
        }

        var width = lines.Max(l => l.Name.Length);
        foreach (var line in lines)
        {
            var status = line.Status switch { CheckStatus.Ok => "ok  ", CheckStatus.Fail => "FAIL", _ => "skip" };
            output.WriteLine($"{status}  {line.Name.PadRight(width)}  {line.Detail}");
        }
    }
}
