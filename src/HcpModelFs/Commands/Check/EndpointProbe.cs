using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using HcpModelFs.Store;
using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.S3;

namespace HcpModelFs.Commands.Check;

/// <summary>
/// One unsigned HTTP request to the store endpoint with the store's own TLS rules (HCP_VERIFY_SSL, HCP_ROOT_CA_PATH):
/// any HTTP answer proves it reachable and its certificate trusted, and its Date header gives the clock skew, which
/// breaks SigV4 signatures beyond 15 minutes.
/// </summary>
internal static class EndpointProbe
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    public static async Task<(bool Reachable, IReadOnlyList<CheckLine> Lines)> RunAsync(StoreSettings settings, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var endpoint = settings.Endpoint!;
        var lines = new List<CheckLine>();
        TlsCertificateValidator validator;
        try
        {
            validator = new TlsCertificateValidator(settings.VerifySsl, settings.RootCaPath is { } ca ? TlsCertificateValidator.LoadBundle(ca) : null);
        }
        catch (Exception ex) when (ex is StoreException or IOException or System.Security.Cryptography.CryptographicException)
        {
            lines.Add(CheckLine.Fail("tls trust", $"CA bundle {settings.RootCaPath} (HCP_ROOT_CA_PATH) cannot be read: {ex.Message}"));
            return (false, lines);
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => validator.Validate(certificate, chain, errors),
            },
        };
        using var client = new HttpClient(handler) { Timeout = timeout };
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, endpoint), ct);
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            lines.Add(CheckLine.Ok("store reachable", endpoint.Authority));
            lines.Add(CheckLine.Fail("tls trust", $"the certificate of {endpoint.Host} is not trusted: {validator.LastRejection ?? "refused"} ({TrustSource(settings)})"));
            return (false, lines);
        }
        catch (HttpRequestException ex)
        {
            lines.Add(CheckLine.Fail("store reachable", $"{endpoint.Authority}: {ex.Message} (HCP_ENDPOINT)"));
            return (false, lines);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            lines.Add(CheckLine.Fail("store reachable", $"{endpoint.Authority}: no answer within {timeout.TotalSeconds:0} s (HCP_ENDPOINT)"));
            return (false, lines);
        }

        using (response)
        {
            lines.Add(CheckLine.Ok("store reachable", $"{endpoint.Authority} answered HTTP {(int)response.StatusCode}"));
            lines.Add(endpoint.Scheme == Uri.UriSchemeHttps
                ? CheckLine.Ok("tls trust", TrustSource(settings))
                : CheckLine.Ok("tls trust", "plain http: no TLS"));
            lines.Add(Skew(response.Headers.Date));
        }

        return (true, lines);
    }

    private static string TrustSource(StoreSettings settings) =>
        !settings.VerifySsl ? "verification off (HCP_VERIFY_SSL=false)"
        : settings.RootCaPath is { } ca ? $"CA bundle {ca} (HCP_ROOT_CA_PATH)"
        : "system trust store (set HCP_ROOT_CA_PATH to the store's CA bundle)";

    private static CheckLine Skew(DateTimeOffset? date)
    {
        if (date is not { } serverTime)
        {
            return CheckLine.Ok("clock skew", "the store sent no Date header");
        }

        var skew = DateTimeOffset.UtcNow - serverTime;
        var text = string.Create(CultureInfo.InvariantCulture, $"{skew.TotalSeconds:+0;-0;0} s against the store's Date header");
        return skew.Duration() <= MaxSkew
            ? CheckLine.Ok("clock skew", text)
            : CheckLine.Fail("clock skew", text + " (signatures fail beyond 15 min: sync this host's clock)");
    }
}
