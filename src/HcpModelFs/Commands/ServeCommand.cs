using System.CommandLine;
using HcpModelFs.Configuration;
using HcpModelFs.Hosting;

namespace HcpModelFs.Commands;

/// <summary>`hcpmodelfs serve`: the Hub-compatible HTTP endpoint alone (no mount) until SIGTERM/SIGINT.</summary>
internal static class ServeCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var listen = new Option<string?>("--listen") { Description = "address:port to listen on (HCPMODELFS_HTTP_LISTEN, default 127.0.0.1:8080; port 0 = any free port)" };
        var cache = new CacheOptions();
        var metrics = new MetricsListenOption();
        var command = new Command("serve", "Serve the model store over the Hugging Face Hub HTTP API (HF_ENDPOINT=http://host:port) until SIGTERM/SIGINT")
        {
            listen, cache.Directory, cache.MaxSize, metrics.Option,
        };
        command.SetAction((parse, ct) =>
        {
            var settings = metrics.Apply(cache.Apply(SettingsLoader.Load(parse, envFile).Settings, parse), parse);

            return RunAsync(settings, parse.GetValue(listen) ?? settings.HttpListen, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(DaemonSettings settings, string listen, CancellationToken cancellationToken)
    {
        using var loggerFactory = Logging.Create(settings);
        var logger = loggerFactory.CreateLogger("hcpmodelfs");
        using var shutdown = new ShutdownSignal();
        if (settings.MetricsListen is not null)
        {
            MetricsEndpoint.ConfigureExport();
        }
        using var services = new ModelServices(settings, loggerFactory);
        var readiness = new Readiness(services.Store, services.Layout.ReadinessProbeKey);
        await using var metrics = await MetricsEndpoint.StartAsync(settings.MetricsListen, readiness, logger, cancellationToken);
        using var prefetcher = HttpServing.CreatePrefetcher(settings, services.Cache, loggerFactory);
        await CatalogWarmUp.RunAsync(services.Catalog, services.Store, services.Layout, logger, cancellationToken);

        Http.HubEndpoint endpoint;
        try
        {
            endpoint = await HttpServing.StartAsync(settings, listen, services, prefetcher, loggerFactory, cancellationToken);
        }
        catch (IOException)
        {
            // Address in use, or not ours to bind: the endpoint logged it (one line); exit 1.
            return 1;
        }

        await using (endpoint)
        {
            readiness.Serving();
            SystemdNotifier.Notify("READY=1\nSTATUS=serving " + endpoint.Address);
            DaemonLog.Stopping(logger, (await shutdown.Task).ToString());
            readiness.Stopping();
            SystemdNotifier.Notify("STOPPING=1");
            await endpoint.StopAsync(TimeSpan.FromSeconds(5));
        }

        return 0;
    }
}
