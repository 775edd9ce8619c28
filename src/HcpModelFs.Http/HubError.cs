using HcpModelFs.Core.Ingest;
using HcpModelFs.Hub;
using HcpModelFs.Store;

namespace HcpModelFs.Http;

/// <summary>
/// An answer that is not the content asked for, as the Hub gives it (hf-hub-protocol.md §4.2): status, `X-Error-Code`,
/// `X-Error-Message` and a JSON body `{"error": ...}`. <see cref="From"/> is the one table from failures to statuses.
/// </summary>
internal sealed record HubError(int Status, string? Code, string Message)
{
    public static HubError RepoNotFound(bool authenticated) =>
        // The Hub: 401 without a token (private and missing look alike), 404 with one.
        new(authenticated ? 404 : 401, "RepoNotFound", "Repository not found");

    public static HubError RevisionNotFound(string revision) => new(404, "RevisionNotFound", "Invalid rev id: " + revision);

    public static HubError EntryNotFound(string path, string revision) =>
        new(404, "EntryNotFound", $"{path} does not exist on \"{revision}\"");

    public static HubError Gated(string repo) =>
        new(403, "GatedRepo", $"Access to model {repo} is restricted and this mirror's token does not give access to it.");

    public static HubError BadRequest(string message) => new(400, null, message);

    /// <summary>Expected failures only; null for a bug (the caller answers 500 and logs the stack).</summary>
    public static HubError? From(Exception exception, string path, string revision) => exception switch
    {
        StoreException { Kind: StoreErrorKind.NotFound } => EntryNotFound(path, revision),
        StoreException { Kind: StoreErrorKind.Timeout } => new(504, null, "The model store did not answer in time."),
        StoreException => new(503, null, "The model store is not available; try again."),
        ModelAccessDeniedException => new(403, "GatedRepo", "Access to this model is restricted and this mirror's token does not give access to it."),
        HubException { Kind: HubErrorKind.RepoNotFound or HubErrorKind.RevisionNotFound or HubErrorKind.EntryNotFound } => EntryNotFound(path, revision),
        HubException { Kind: HubErrorKind.Gated or HubErrorKind.Unauthorized or HubErrorKind.Disabled } => new(403, "GatedRepo", "Access to this model is restricted and this mirror's token does not give access to it."),
        HubException { Kind: HubErrorKind.RateLimited } => new(503, null, "The upstream Hub is rate limiting this mirror; try again."),
        HubException => new(502, null, "The upstream Hub is not available; try again."),
        IngestFailedException => new(502, null, "The upstream Hub sent bytes that do not match its own metadata; the file is not served."),
        TimeoutException => new(504, null, "Timed out."),
        _ => null,
    };

    public static string Kind(Exception exception) => exception switch
    {
        StoreException s => "Store" + s.Kind,
        HubException h => "Hub" + h.Kind,
        _ => exception.GetType().Name,
    };
}
