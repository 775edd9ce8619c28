using System.Net;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Prefetch;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Http;

/// <summary>
/// The Hub-compatible HTTP endpoint on Kestrel, over the same catalog, block cache, ingest coordinator and prefetcher
/// as the mount (one process, one cache, single flight across both). Started and stopped by its owner: it never
/// listens to signals itself (the daemon's ShutdownSignal decides when to stop, after the unmount if there is one).
/// </summary>
public sealed class HubEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILogger _logger;

    private HubEndpoint(WebApplication app, ILogger logger, Uri address)
    {
        _app = app;
        _logger = logger;
        Address = address;
    }

    /// <summary>Where clients reach us (the actual port when 0 was asked for), e.g. http://127.0.0.1:8080/.</summary>
    public Uri Address { get; }

    public static async Task<HubEndpoint> StartAsync(
        IModelCatalog catalog,
        IBlockCache cache,
        IBlockSource store,
        IngestCoordinator? ingest,
        Prefetcher? prefetcher,
        HubEndpointOptions options,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var builder = KestrelBuilder.Create();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new QuietFrameworkLoggerFactory(loggerFactory));
        // Our owner handles SIGTERM/SIGINT; the default console lifetime would stop Kestrel on its own first.
        builder.Services.AddSingleton<IHostLifetime, OwnerLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(options.Listen);
            // paths-info bodies are lists of paths; nothing we accept is large.
            k.Limits.MaxRequestBodySize = 1 << 20;
            // Room for two of our chunks: a flush returns while the socket still sends the previous chunk, instead of
            // parking the response (and a thread hop) after every 64 KiB. Measured: 2.2 -> 1.7 s CPU per GiB, cold
            // HTTP/mount 0.87 -> 0.95-1.03 on this 2-core machine. Per download at most this plus our two chunks.
            k.Limits.MaxResponseBufferSize = 4 << 20;
        });
        var app = builder.Build();
        var logger = loggerFactory.CreateLogger("HcpModelFs.Http");
        var handler = new HubRequestHandler(catalog, cache, store, ingest, prefetcher, options, logger);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            // Address in use or not ours: an expected failure, one line; the caller decides what it means.
            HttpLog.ListenFailed(logger, options.Listen.ToString(), ex.Message);
            await app.DisposeAsync();
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var address = bound is not null
            ? new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/")
            : new Uri($"http://{options.Listen}/");
        HttpLog.Listening(logger, address.ToString(), options.AllowedTokens is null ? "not required" : $"required ({options.AllowedTokens.Count} allowed)");
        return new HubEndpoint(app, logger, address);
    }

    /// <summary>Stops accepting, lets running responses finish for a short while, then closes them.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var cts = new CancellationTokenSource(grace);
        await _app.StopAsync(cts.Token);
        HttpLog.Stopped(_logger);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>Parses "127.0.0.1:8080", "[::1]:8080" or ":8080" (loopback).</summary>
    public static IPEndPoint ParseListen(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.StartsWith(':'))
        {
            value = "127.0.0.1" + value;
        }

        return IPEndPoint.TryParse(value, out var endpoint) && value.Contains(':', StringComparison.Ordinal)
            ? endpoint
            : throw new FormatException($"'{value}' is not an address:port such as 127.0.0.1:8080");
    }

    private sealed class OwnerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
