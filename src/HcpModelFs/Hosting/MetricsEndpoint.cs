using HcpModelFs.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace HcpModelFs.Hosting;

/// <summary>
/// The operator's endpoint on its own small Kestrel server: /metrics (Prometheus text, our System.Diagnostics.Metrics
/// meters through prometheus-net's meter adapter, plus process metrics), /healthz (200 while the process runs) and
/// /readyz (<see cref="Readiness"/>). Kestrel's own logging is off: start and a failed bind are reported here, once.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private static readonly Lock ConfigureLock = new();
    private static PrometheusMeterBridge? _bridge;
    private readonly WebApplication _app;

    private MetricsEndpoint(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>
    /// Starts listening on <paramref name="listen"/>; null when it is null (`off`) or cannot be bound (one warning line):
    /// serving goes on without.
    /// </summary>
    public static async Task<MetricsEndpoint?> StartAsync(string? listen, Readiness readiness, ILogger logger, CancellationToken cancellationToken)
    {
        if (listen is null)
        {
            return null;
        }

        ConfigureExport();
        var builder = KestrelBuilder.Create();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, OwnerLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(HubEndpoint.ParseListen(listen));
        });
        var app = builder.Build();
        app.UseMetricServer("/metrics");
        app.Run(context => HandleAsync(context, readiness));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            DaemonLog.MetricsListenFailed(logger, listen, ex.Message);
            await app.DisposeAsync();
            return null;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var address = new Uri((bound ?? $"http://{listen}").Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        DaemonLog.MetricsListening(logger, address.ToString());
        return new MetricsEndpoint(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }

    private static async Task HandleAsync(HttpContext context, Readiness readiness)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        switch (context.Request.Path.Value)
        {
            case "/healthz":
                await context.Response.WriteAsync("ok\n", context.RequestAborted);
                break;
            case "/readyz":
                var reason = await readiness.CheckAsync();
                context.Response.StatusCode = reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync((reason ?? "ready") + "\n", context.RequestAborted);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync("not found: /metrics, /healthz, /readyz\n", context.RequestAborted);
                break;
        }
    }

    /// <summary>
    /// Once per process, before the default registry is first used (call it before the services are built, so their
    /// first measurements are seen too): our meters (HcpModelFs.*) through
    /// <see cref="PrometheusMeterBridge"/> with latency buckets from 100 µs to 10 s, and prometheus-net's process
    /// metrics; its own meter adapter, event-counter bridge and debug metrics are off.
    /// </summary>
    public static void ConfigureExport()
    {
        lock (ConfigureLock)
        {
            if (_bridge is not null)
            {
                return;
            }

            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
            {
                SuppressDebugMetrics = true,
                SuppressEventCounters = true,
                SuppressMeters = true,
                SuppressProcessMetrics = false,
            });
            _bridge = new PrometheusMeterBridge(
                Metrics.DefaultRegistry,
                instrument => instrument.Meter.Name.StartsWith("HcpModelFs.", StringComparison.Ordinal),
                instrument => instrument.Unit == "s" ? LatencyBuckets : SizeBuckets);
        }
    }

    private static readonly double[] SizeBuckets = Histogram.ExponentialBuckets(1024, 4, 10);

    private static readonly double[] LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Our owner handles SIGTERM/SIGINT; the default console lifetime would stop Kestrel on its own first.
    private sealed class OwnerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
