using System.CommandLine;
using HcpModelFs.Configuration;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.FileSystem;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Mounting;
using HcpModelFs.Fuse.Session;
using HcpModelFs.Hosting;
using HcpModelFs.Http;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Commands;

/// <summary>`hcpmodelfs mount MOUNTPOINT`: serve /models in the foreground until SIGTERM/SIGINT.</summary>
internal static class MountCommand
{
    public static Command Create(Option<string?> envFile)
    {
        var mountPoint = new Argument<string>("mountpoint") { Description = "Where to mount (created if missing), e.g. /models" };
        var cache = new CacheOptions();
        var metrics = new MetricsListenOption();
        var serve = new Option<string?>("--serve") { Description = "Also serve the Hub HTTP API on address:port, from the same cache (see `serve`)" };
        var command = new Command("mount", "Mount the model store read-only and serve it until SIGTERM/SIGINT")
        {
            mountPoint, cache.Directory, cache.MaxSize, serve, metrics.Option,
        };
        command.SetAction((parse, ct) =>
        {
            var settings = metrics.Apply(cache.Apply(SettingsLoader.Load(parse, envFile).Settings, parse), parse);

            return RunAsync(parse.GetValue(mountPoint)!, settings, parse.GetValue(serve), ct);
        });
        return command;
    }

    public static async Task<int> RunAsync(string mountPoint, DaemonSettings settings, string? serve, CancellationToken cancellationToken)
    {
        using var loggerFactory = Logging.Create(settings);
        var logger = loggerFactory.CreateLogger("hcpmodelfs");
        using var shutdown = new ShutdownSignal();
        // Before the metrics export starts: the warm-up's throwaway instances are never seen by it.
        await ReadPathWarmUp.RunAsync(settings.CacheDirectory, logger, cancellationToken);
        if (settings.MetricsListen is not null)
        {
            MetricsEndpoint.ConfigureExport();
        }

        using var services = new ModelServices(settings, loggerFactory);
        var readiness = new Readiness(services.Store, services.Layout.ReadinessProbeKey);
        await using var metrics = await MetricsEndpoint.StartAsync(settings.MetricsListen, readiness, logger, cancellationToken);
        var cache = services.Cache;
        if (TestOnlySwitches.RequestLimitDisabled)
        {
            DaemonLog.RequestLimitDisabled(logger);
        }

        using var prefetcher = HttpServing.CreatePrefetcher(settings, cache, loggerFactory);
        var fileSystem = new ModelFileSystem(
            services.Catalog, cache, new StoreBlockSource(services.Store), prefetcher,
            new ModelFileSystemOptions
            {
                CacheDirectory = settings.CacheDirectory, IngestOn = settings.HubPolicy.Trigger, Passthrough = settings.Passthrough,
                FailureLogInterval = settings.LogRepeatInterval,
                RequestLimit = TestOnlySwitches.RequestLimitDisabled ? RequestLimit.None : RequestLimit.Of(settings.RequestTimeout),
            },
            loggerFactory.CreateLogger<ModelFileSystem>(),
            ingest: services.Ingest);

        await CatalogWarmUp.RunAsync(services.Catalog, services.Store, services.Layout, logger, cancellationToken);

        FuseSession session;
        try
        {
            session = await FuseSession.StartAsync(
                mountPoint,
                fileSystem,
                new FuseMountOptions { AllowOther = settings.AllowOther },
                new FuseSessionOptions
                {
                    ReadAheadKb = settings.ReadAheadKb, Passthrough = settings.Passthrough, MaxBackground = settings.FuseMaxBackground,
                },
                loggerFactory.CreateLogger("HcpModelFs.Fuse"),
                cancellationToken);
        }
        catch (FuseMountException ex)
        {
            DaemonLog.MountFailed(logger, mountPoint, ex.Message);
            return 1;
        }

        // The HTTP door shares catalog, cache, ingest and prefetcher with the mount: one fetch per block across both.
        HubEndpoint? endpoint = null;
        if (serve is not null)
        {
            try
            {
                endpoint = await HttpServing.StartAsync(settings, serve, services, prefetcher, loggerFactory, cancellationToken);
            }
            catch (IOException)
            {
                // The endpoint logged why (one line); the mount does not outlive a failed --serve.
                await session.StopAsync();
                return 1;
            }
        }

        DaemonLog.Serving(logger, session.MountPoint, services.Store.Name, settings.CacheDirectory,
            settings.CacheMaxBytes is { } max ? ByteSize.Format(max) : "disk minus 10 %");
        readiness.Serving();
        SystemdNotifier.Notify("READY=1\nSTATUS=serving " + session.MountPoint + (endpoint is null ? string.Empty : " and " + endpoint.Address));

        var ended = await Task.WhenAny(shutdown.Task, session.Completion);
        readiness.Stopping();
        SystemdNotifier.Notify("STOPPING=1");
        if (ended == shutdown.Task)
        {
            DaemonLog.Stopping(logger, (await shutdown.Task).ToString());
        }

        if (endpoint is not null)
        {
            await endpoint.StopAsync(TimeSpan.FromSeconds(5));
            await endpoint.DisposeAsync();
        }

        await session.StopAsync();
        return 0;
    }
}
