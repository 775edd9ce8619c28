using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// One request on the wire: redirects followed by hand with the token kept to the Hub's authority, the rate-limit
/// quota, status checks and JSON bodies, and redaction of the token from anything that could be logged.
/// </summary>
public sealed partial class HttpModelHub
{
    /// <summary>
    /// Sends one request and follows redirects by hand. The token goes only to the endpoint's authority.
    /// With <paramref name="stopAtForeignHost"/>, a hop to another authority is not taken: the 3xx is returned
    /// with <see cref="HubHttpResponse.ForeignLocation"/> set.
    /// </summary>
    private async Task<HubHttpResponse> SendAsync(
        HttpMethod method,
        Uri uri,
        Action<HttpRequestMessage>? configure,
        bool stopAtForeignHost,
        CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            var onHub = IsHubAuthority(uri);
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.UserAgent.ParseAdd(_userAgent);
            request.Headers.AcceptEncoding.ParseAdd("identity");
            configure?.Invoke(request);
            var sentToken = false;
            if (_token is not null)
            {
                if (onHub)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
                    sentToken = true;
                }
                else
                {
                    _logger.AuthorizationDropped(uri.Authority);
                }
            }

            if (onHub)
            {
                await _quota.WaitAsync(uri, cancellationToken);
            }

            HttpResponseMessage response;
            using (var timeout = new CancellationTokenSource(_options.RequestTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested
                    && !cancellationToken.IsCancellationRequested)
                {
                    throw new HubException(HubErrorKind.Unavailable,
                        $"{method} {HubErrorClassifier.Describe(uri)} timed out after {_options.RequestTimeout}.");
                }
            }

            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.Response(method.Method, HubErrorClassifier.Describe(uri), (int)response.StatusCode);
            }

            if (onHub)
            {
                _quota.Note(uri, response);
            }

            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (uri.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
                {
                    response.Dispose();
                    throw new HubException(HubErrorKind.Protocol,
                        $"Refusing redirect from https to {next.Scheme} ({HubErrorClassifier.Describe(next)}).", status);
                }

                if (stopAtForeignHost && !IsHubAuthority(next))
                {
                    return new HubHttpResponse(response, uri, onHub, sentToken, next);
                }

                response.Dispose();
                if (hop >= _options.MaxRedirects)
                {
                    throw new HubException(HubErrorKind.Protocol,
                        $"More than {_options.MaxRedirects} redirects from {HubErrorClassifier.Describe(uri)}.", status);
                }

                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    _logger.RedirectFollowed(status, HubErrorClassifier.Describe(uri), HubErrorClassifier.Describe(next));
                }

                if (status == 303 && method != HttpMethod.Head)
                {
                    method = HttpMethod.Get;
                }

                uri = next;
                continue;
            }

            return new HubHttpResponse(response, uri, onHub, sentToken, null);
        }
    }

    private bool IsHubAuthority(Uri uri) =>
        uri.IsAbsoluteUri
        && string.Equals(uri.Scheme, _endpoint.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.IdnHost, _endpoint.IdnHost, StringComparison.OrdinalIgnoreCase)
        && uri.Port == _endpoint.Port;

    private void EnsureSuccess(HubHttpResponse response, HubRoute route)
    {
        if (response.Message.IsSuccessStatusCode)
        {
            return;
        }

        var error = HubErrorClassifier.Classify(
            response.Message, route, response.OnHubHost, response.SentToken, _time.GetUtcNow());
        throw new HubException(error.Kind, Redact(error.Message), error.StatusCode, error.RetryAfter, error.RequestId);
    }

    /// <summary>Reads a JSON body; a body that does not arrive within the request timeout is a transient failure.</summary>
    private async Task<JsonDocument> ReadJsonAsync(HubHttpResponse response, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await using var stream = await response.Message.Content.ReadAsStreamAsync(linked.Token);
            return await JsonDocument.ParseAsync(stream, default, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new HubException(HubErrorKind.Unavailable,
                $"{HubErrorClassifier.Describe(response.RequestUri)} did not send its body within {_options.RequestTimeout}.");
        }
        catch (JsonException ex)
        {
            throw new HubException(HubErrorKind.Protocol,
                $"{HubErrorClassifier.Describe(response.RequestUri)} returned invalid JSON.", innerException: ex);
        }
    }

    private string Redact(string text) =>
        _token is { Length: > 0 } t ? text.Replace(t, "***", StringComparison.Ordinal) : text;
}
