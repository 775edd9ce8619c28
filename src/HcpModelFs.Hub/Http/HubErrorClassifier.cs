using System.Net;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// Maps a non-success answer to a <see cref="HubException"/> (spec §4.2): X-Error-Code first, then the
/// X-Error-Message of disabled repos, then the status. Messages carry the method and the URL path (never the query,
/// which may hold a signature) and never the token.
/// </summary>
internal static class HubErrorClassifier
{
    public const string DisabledMessage = "Access to this resource is disabled.";

    public static HubException Classify(
        HttpResponseMessage response, HubRoute route, bool onHubHost, bool sentToken, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        var code = Header(response, "X-Error-Code");
        var message = Header(response, "X-Error-Message");
        var requestId = Header(response, "X-Request-Id");
        var request = response.RequestMessage;
        var what = request is null ? "Hub request" : $"{request.Method} {Describe(request.RequestUri)}";
        var detail = message is null ? string.Empty : $" ({message})";

        HubException Make(HubErrorKind kind, TimeSpan? retryAfter = null) =>
            new(kind, $"{what} failed: {status} {code ?? response.ReasonPhrase}{detail} [{kind}]",
                status, retryAfter, requestId);

        switch (code)
        {
            case "RepoNotFound":
                return Make(HubErrorKind.RepoNotFound);
            case "RevisionNotFound":
                return Make(HubErrorKind.RevisionNotFound);
            case "EntryNotFound":
                return Make(HubErrorKind.EntryNotFound);
            case "GatedRepo":
                return Make(HubErrorKind.Gated);
            case "DisabledRepo":
                return Make(HubErrorKind.Disabled);
        }

        if (message is not null && message.Contains("disabled", StringComparison.OrdinalIgnoreCase)
            && status is 401 or 403 or 451)
        {
            return Make(HubErrorKind.Disabled);
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.TooManyRequests:
                return Make(HubErrorKind.RateLimited, RateLimitHeader.RetryDelay(response.Headers, now));
            case HttpStatusCode.RequestTimeout:
                return Make(HubErrorKind.Unavailable, RateLimitHeader.RetryDelay(response.Headers, now));
            case HttpStatusCode.Unauthorized:
                // A bare 401: with a token it is the token; without one the Hub hides missing/private repos.
                return Make(sentToken || route == HubRoute.Data ? HubErrorKind.Unauthorized : HubErrorKind.RepoNotFound);
            case HttpStatusCode.Forbidden:
                // 403 from a CDN host means the signed URL expired or was refused: resolve again.
                return Make(onHubHost ? HubErrorKind.Unauthorized : HubErrorKind.Unavailable);
            case HttpStatusCode.NotFound:
                return Make(route == HubRoute.Api ? HubErrorKind.RepoNotFound : HubErrorKind.EntryNotFound);
        }

        if (status >= 500)
        {
            return Make(HubErrorKind.Unavailable, RateLimitHeader.RetryDelay(response.Headers, now));
        }

        return Make(HubErrorKind.Protocol);
    }

    /// <summary>scheme://authority/path, without query or fragment.</summary>
    public static string Describe(Uri? uri) =>
        uri is null ? "(no url)" : uri.IsAbsoluteUri ? uri.GetLeftPart(UriPartial.Path) : uri.OriginalString.Split('?')[0];

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
