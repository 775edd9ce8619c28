using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Naming;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Http;

/*
 * The Hub's read API over the catalog and the block cache (hf-hub-protocol.md §2, §3, §5). One handler, no routing
 * framework: routes are found by their literal markers in the raw target (see HubRoute). Names, revisions and paths are
 * validated before any store or Hub request; everything a client can get wrong is a Hub-style 4xx, never a 500.
 *
 * `main` and `HEAD` name the pinned default revision (what the mount shows at /models/org/model); other names resolve
 * as org/model@rev does on the mount; a 40-hex commit that is the default's is answered from the default without
 * another lookup (snapshot_download asks revision/main, then everything by that sha).
 *
 * File bodies come through FileReader.Open, the same reader rules as the mount (store source, or the running ingest
 * job of a revision the store lacks, which fails a file that failed its check and serves its end only once verified).
 * They are copied in chunks that never straddle a cache block, through one pooled buffer per response, starting at the
 * client's range; large ranges register with the prefetcher as a mount open does, so blocks ahead are fetched in
 * parallel while the client drains the current one.
 */
internal sealed partial class HubRequestHandler
{
    private const string OctetStream = "application/octet-stream";
    private readonly IModelCatalog _catalog;
    private readonly IBlockCache _cache;
    private readonly IBlockSource _store;
    private readonly IngestCoordinator? _ingest;
    private readonly Prefetcher? _prefetcher;
    private readonly HubEndpointOptions _options;
    private readonly ILogger _logger;
    private readonly byte[][]? _tokenHashes;
    private readonly RepeatedFailureLog _failures;

    public HubRequestHandler(IModelCatalog catalog, IBlockCache cache, IBlockSource store, IngestCoordinator? ingest, Prefetcher? prefetcher, HubEndpointOptions options, ILogger logger)
    {
        _catalog = catalog;
        _cache = cache;
        _store = store;
        _ingest = ingest;
        _prefetcher = prefetcher;
        _options = options;
        _logger = logger;
        _failures = new RepeatedFailureLog(logger, interval: options.FailureLogInterval);
        _tokenHashes = options.AllowedTokens?.Select(Hash).ToArray();
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = query < 0 ? raw : raw[..query];
        if (!rawPath.StartsWith('/'))
        {
            // Absolute-form target (a proxy-style request): only its path matters here.
            rawPath = context.Request.Path.Value ?? "/";
        }

        var route = HubRoute.Parse(rawPath);
        var state = new RequestState(context, route, rawPath);
        context.Response.Headers["X-Request-Id"] = context.TraceIdentifier;
        try
        {
            await DispatchAsync(state);
            if (context.Response.StatusCode < 500)
            {
                _failures.Succeeded("HTTP");
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (Exception ex)
        {
            await FailAsync(state, ex);
        }
        finally
        {
            var status = context.Response.StatusCode;
            var elapsed = Stopwatch.GetElapsedTime(started);
            var tags = new TagList { { "route", route.Name }, { "status", status } };
            HttpMetrics.Requests.Add(1, tags);
            HttpMetrics.Duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("route", route.Name));
            HttpLog.Request(_logger, context.Request.Method, route.Name, rawPath, status, state.BodyBytes, (long)elapsed.TotalMilliseconds);
        }
    }

    private async Task DispatchAsync(RequestState s)
    {
        var method = s.Context.Request.Method;
        if (!Authorize(s, out var refusal))
        {
            await WriteErrorAsync(s, refusal);
            return;
        }

        switch (s.Route.Kind)
        {
            case HubRouteKind.WhoAmI when HttpMethods.IsGet(method):
                await WhoAmIAsync(s);
                return;
            case HubRouteKind.ModelInfo or HubRouteKind.Tree or HubRouteKind.Refs when HttpMethods.IsGet(method):
            case HubRouteKind.PathsInfo when HttpMethods.IsPost(method):
            case HubRouteKind.Resolve when HttpMethods.IsGet(method) || HttpMethods.IsHead(method):
                break;
            case HubRouteKind.OtherRepoType:
                await WriteErrorAsync(s, new HubError(404, "RepoNotFound", "Only models are served by this mirror."));
                return;
            case HubRouteKind.Unknown or HubRouteKind.WhoAmI:
                await WriteErrorAsync(s, new HubError(404, null, "Not Found"));
                return;
            default:
                await WriteErrorAsync(s, new HubError(405, null, "Method not allowed"));
                return;
        }

        if (s.Route.BadRepoId)
        {
            await WriteErrorAsync(s, HubError.BadRequest("Invalid repo id: the id must not be URL-encoded."));
            return;
        }

        var revision = await ResolveAsync(s);
        if (revision is null)
        {
            return;
        }

        switch (s.Route.Kind)
        {
            case HubRouteKind.ModelInfo:
                await ModelInfoAsync(s, revision);
                break;
            case HubRouteKind.Tree:
                await TreeAsync(s, revision);
                break;
            case HubRouteKind.PathsInfo:
                await PathsInfoAsync(s, revision);
                break;
            case HubRouteKind.Refs:
                await RefsAsync(s, revision);
                break;
            default:
                await ResolveFileAsync(s, revision);
                break;
        }
    }

    /// <summary>The revision the request names, or null once an error has been answered.</summary>
    private async Task<ModelRevision?> ResolveAsync(RequestState s)
    {
        var r = s.Route;
        var ct = s.Context.RequestAborted;
        var asked = r.Revision ?? "main";
        if (r.Org is null || !ModelName.IsValid(r.Org) || r.Model is null || !ModelName.IsValid(r.Model))
        {
            // Legacy one-segment ids have no home in the store (org/model); invalid names never reach the store.
            await WriteErrorAsync(s, HubError.RepoNotFound(s.HasAuthorization));
            return null;
        }

        var isDefault = asked is "main" or "HEAD";
        var fallback = await _catalog.ResolveAsync(r.Org, r.Model, null, ct);
        if (isDefault || (fallback is not null && ModelName.IsCommitSha(asked) && FileIdentity.CommitOf(fallback) == asked))
        {
            if (fallback is null)
            {
                await WriteErrorAsync(s, HubError.RepoNotFound(s.HasAuthorization));
            }

            return Looked(fallback);
        }

        var named = ModelName.IsValidRevision(asked) ? await _catalog.ResolveAsync(r.Org, r.Model, asked, ct) : null;
        if (named is null)
        {
            await WriteErrorAsync(s, fallback is null ? HubError.RepoNotFound(s.HasAuthorization) : HubError.RevisionNotFound(asked));
        }

        return Looked(named);
    }

    /// <summary>The ingest policy's "lookup" trigger: metadata of a model from the Hub starts its ingest.</summary>
    private ModelRevision? Looked(ModelRevision? revision)
    {
        if (revision?.Hub is not null && _options.StartIngestOnLookup)
        {
            _ingest?.Start(revision);
        }

        return revision;
    }

    private static RevisionFile? Find(ModelRevision revision, string path)
    {
        if (!RelativePath.IsValid(path))
        {
            return null;
        }

        var slash = path.LastIndexOf('/');
        var dir = slash < 0 ? revision.Root : revision.FindDirectory(path[..slash]);
        return dir is not null && dir.Files.TryGetValue(path[(slash + 1)..], out var file) ? file : null;
    }

    private static async Task WhoAmIAsync(RequestState s)
    {
        if (!s.HasAuthorization)
        {
            await WriteErrorAsync(s, new HubError(401, null, "Invalid user token"));
            return;
        }

        // A read-only identity for whoever holds an accepted token; nothing about the daemon's own Hub token.
        await WriteJsonAsync(s, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "user");
            w.WriteString("id", HubJson.ObjectId("hcpmodelfs-client"));
            w.WriteString("name", "hcpmodelfs");
            w.WriteString("fullname", "HcpModelFs mirror client");
            w.WriteNull("email");
            w.WriteBoolean("emailVerified", false);
            w.WriteBoolean("canPay", false);
            w.WriteBoolean("isPro", false);
            w.WriteString("avatarUrl", string.Empty);
            w.WriteStartArray("orgs");
            w.WriteEndArray();
            w.WriteStartObject("auth");
            w.WriteString("type", "access_token");
            w.WriteStartObject("accessToken");
            w.WriteString("displayName", "hcpmodelfs");
            w.WriteString("role", "read");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private bool Authorize(RequestState s, out HubError refusal)
    {
        refusal = null!;
        var header = s.Context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        s.HasAuthorization = !string.IsNullOrEmpty(token);
        if (_tokenHashes is null)
        {
            return true;
        }

        if (string.IsNullOrEmpty(token))
        {
            HttpLog.Unauthorized(_logger, "no bearer token");
            // As the Hub answers an anonymous request for a private repo.
            refusal = new HubError(401, "RepoNotFound", "Repository not found");
            return false;
        }

        var hash = Hash(token);
        var match = false;
        foreach (var allowed in _tokenHashes)
        {
            // Fixed-time over every entry: timing tells nothing about which token, or how much of one, matched.
            match |= CryptographicOperations.FixedTimeEquals(hash, allowed);
        }

        if (!match)
        {
            HttpLog.Unauthorized(_logger, "bearer token not in the allowed list");
            refusal = new HubError(401, null, "Invalid credentials in Authorization header");
        }

        return match;
    }

    private async Task FailAsync(RequestState s, Exception ex)
    {
        var error = HubError.From(ex, s.Route.Path, s.Route.Revision ?? "main");
        if (error is null)
        {
            HttpLog.Unexpected(_logger, ex, s.Context.Request.Method, s.Route.Name, s.RawPath);
            error = new HubError(500, null, "Internal error");
        }
        else
        {
            // A store or Hub outage fails every request alike: one line when it starts, then summaries.
            if (error.Status < 500 || _failures.Failed("HTTP", HubError.Kind(ex), s.RawPath + ": " + ex.Message))
            {
                HttpLog.RequestFailed(_logger, s.Context.Request.Method, s.Route.Name, s.RawPath, HubError.Kind(ex), error.Status, ex.Message);
            }
        }

        if (s.Context.Response.HasStarted)
        {
            s.Context.Abort();
            return;
        }

        s.Context.Response.Headers.Remove("Content-Range");
        s.Context.Response.Headers.Remove("X-Linked-Etag");
        s.Context.Response.Headers.Remove("X-Linked-Size");
        s.Context.Response.Headers.ETag = default;
        await WriteErrorAsync(s, error);
    }

    private static async Task WriteErrorAsync(RequestState s, HubError error, string? commit = null)
    {
        var response = s.Context.Response;
        response.StatusCode = error.Status;
        if (error.Code is not null)
        {
            response.Headers["X-Error-Code"] = error.Code;
        }

        // Header values must be ASCII; HEAD answers carry the message only here.
        response.Headers["X-Error-Message"] = Ascii(error.Message);
        if (commit is not null)
        {
            response.Headers["X-Repo-Commit"] = commit;
        }

        var body = HubJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("error", error.Message);
            w.WriteEndObject();
        });
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(s.Context.Request.Method))
        {
            await response.Body.WriteAsync(body, s.Context.RequestAborted);
        }
    }

    private static async Task WriteJsonAsync(RequestState s, int status, Action<Utf8JsonWriter> write)
    {
        var body = HubJson.Write(write);
        var response = s.Context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, s.Context.RequestAborted);
    }

    private string BaseUrl(RequestState s) =>
        _options.PublicUrl is { } url ? url.GetLeftPart(UriPartial.Authority) : $"{s.Context.Request.Scheme}://{s.Context.Request.Host}";

    private static string EncodeCursor(int index) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("i" + index.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeCursor(string cursor, out int index)
    {
        index = 0;
        try
        {
            var text = cursor.Replace('-', '+').Replace('_', '/');
            text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
            var decoded = Encoding.ASCII.GetString(Convert.FromBase64String(text));
            return decoded.StartsWith('i') && int.TryParse(decoded.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out index);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Quote(string etag) => "\"" + etag + "\"";

    private static string Ascii(string text) => string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c : '?'));

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private sealed class RequestState(HttpContext context, HubRoute route, string rawPath)
    {
        public HttpContext Context { get; } = context;

        public HubRoute Route { get; } = route;

        public string RawPath { get; } = rawPath;

        public bool HasAuthorization { get; set; }

        public long BodyBytes { get; set; }
    }
}
