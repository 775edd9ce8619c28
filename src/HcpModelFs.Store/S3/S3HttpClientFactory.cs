using Amazon.Runtime;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Store.S3;

/// <summary>
/// Gives the SDK one pooled <see cref="HttpClient"/> per client config with our connection limit and TLS check
/// (SocketsHttpHandler: MaxConnectionsPerServer from settings; HCP takes about 255 per node).
/// </summary>
internal sealed class S3HttpClientFactory : HttpClientFactory
{
    private readonly int _maxConnections;
    private readonly TlsCertificateValidator _validator;
    private readonly ILogger _logger;

    public S3HttpClientFactory(int maxConnections, TlsCertificateValidator validator, ILogger logger)
    {
        _maxConnections = maxConnections;
        _validator = validator;
        _logger = logger;
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = _maxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            Expect100ContinueTimeout = TimeSpan.FromSeconds(1),
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            if (_validator.Validate(certificate, chain, errors))
            {
                return true;
            }

            LogMessages.TlsRejected(_logger, (sender as System.Net.Security.SslStream)?.TargetHostName ?? "?",
                _validator.LastRejection ?? "unknown");
            return false;
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string GetConfigUniqueString(IClientConfig clientConfig) =>
        "hcpmodelfs-" + _maxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" +
        System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this).ToString(
            System.Globalization.CultureInfo.InvariantCulture);
}
