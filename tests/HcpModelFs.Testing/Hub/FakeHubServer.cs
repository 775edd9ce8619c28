using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Directory oids are SHA-1 like git tree ids; not used for security.
#pragma warning disable CA5350

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// A fake Hugging Face Hub on Kestrel (spec §10): the Hub on 127.0.0.1:0 and a "CDN" on 127.0.0.2:0 — another origin,
/// so clients must drop the token when they follow the 302 of an LFS file. Routes: E1 repo info, E2 tree with
/// absolute Link pagination, E3 paths-info (JSON and form), E4 /resolve (direct, 302 to CDN, resolve-cache 307,
/// renamed-repo 307), E5 CDN blobs with HMAC-signed expiring URLs, E6 refs/whoami/raw. Errors carry X-Error-Code /
/// X-Error-Message and a JSON body; every Hub answer carries X-Request-Id and RateLimit headers; no Xet headers and
/// no compression ever. Faults come from <see cref="Faults"/>; every request is logged in <see cref="Requests"/>.
/// Everything is served by hand from the raw request target, because Kestrel leaves %2F undecoded and repo ids have
/// one or two segments (routes are split on the literal markers, not by counting segments).
/// </summary>
public sealed partial class FakeHubServer : IAsyncDisposable
{
    private long _fileBytesSent;
    public static readonly IPAddress HubAddress = IPAddress.Loopback;
    public static readonly IPAddress CdnAddress = IPAddress.Parse("127.0.0.2");

    private const int ChunkSize = 64 * 1024;
    private const string FaultKey = "fakehub.fault";

    private readonly ConcurrentQueue<FakeHubRequest> _log = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private long _apiCount;
    private long _resolverCount;

    public FakeHubServer(FakeHubCatalog? catalog = null)
    {
        Catalog = catalog ?? new FakeHubCatalog();
    }

    public FakeHubCatalog Catalog { get; }

    public FakeHubFaults Faults { get; } = new();

    /// <summary>Tree entries per page (the real Hub: 1000).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Tree entries per page with expand=true (the real Hub: 50).</summary>
    public int ExpandPageSize { get; set; } = 50;

    /// <summary>Lifetime of signed CDN URLs.</summary>
    public TimeSpan SignedUrlTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Requests per window announced for the "api" bucket (not enforced: use a 429 fault for that).</summary>
    public int ApiQuota { get; set; } = 1000;

    /// <summary>Requests per window announced for the "resolvers" bucket.</summary>
    public int ResolverQuota { get; set; } = 5000;

    /// <summary>Length of the fixed rate-limit window (the real Hub: 300 s).</summary>
    public int RateLimitWindowSeconds { get; set; } = 300;

    /// <summary>Clock for signed-URL expiry.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>CDN answers 400 to any request carrying Authorization (catches token leaks loudly).</summary>
    public bool StrictCdn { get; set; }

    public Uri HubUri { get; private set; } = null!;

    public Uri CdnUri { get; private set; } = null!;

    public IReadOnlyList<FakeHubRequest> Requests => [.. _log];

    /// <summary>True if any request to the CDN listener carried an Authorization header.</summary>
    public bool CdnSawAuthorization => _log.Any(r => r.OnCdn && r.HadAuthorization);

    public static async Task<FakeHubServer> StartAsync(
        FakeHubCatalog? catalog = null, CancellationToken cancellationToken = default)
    {
        var server = new FakeHubServer(catalog);
        foreach (var token in server.Catalog.Tokens)
        {
            Secrets.SecretScanner.Register(token, "a fake Hub token");
        }

        try
        {
            await server.StartCoreAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Invalidates every signed URL handed out so far (the CDN then answers 403).</summary>
    public void ExpireAllSignedUrls() => _secret = RandomNumberGenerator.GetBytes(32);

    public void ClearRequests() => _log.Clear();

    /// <summary>
    /// File content bytes in resolve and CDN bodies (not JSON pages): what a rollout costs the Hub. A body a fault cut
    /// short counts in full, so a count never flatters.
    /// </summary>
    public long FileBytesSent => Interlocked.Read(ref _fileBytesSent);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Forced stop: connections are aborted by DisposeAsync below.
            }

            await _app.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MinResponseDataRate = null;
            k.Listen(HubAddress, 0);
            k.Listen(CdnAddress, 0);
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken);
        var addresses = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Select(a => new Uri(a)).ToList();
        HubUri = addresses.Single(a => a.Host == "127.0.0.1");
        CdnUri = addresses.Single(a => a.Host == "127.0.0.2");
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var onCdn = CdnAddress.Equals(ctx.Connection.LocalIpAddress);
        var rawTarget = ctx.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var q = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = q >= 0 ? rawTarget[..q] : rawTarget;
        var query = q >= 0 ? rawTarget[q..] : string.Empty;
        var route = Classify(onCdn, rawPath);
        var hadAuth = ctx.Request.Headers.Authorization.Count > 0;
        var fault = Faults.Take(route, SafeUnescape(rawPath));
        ctx.Items[FaultKey] = fault;
        if (!onCdn)
        {
            ctx.Response.Headers["X-Request-Id"] = "Root=1-" + Guid.NewGuid().ToString("N");
            AddRateLimitHeaders(ctx, route);
        }

        // Logged when the headers go out, so the entry exists before the client sees any byte (a client that stops
        // reading early must not race the log); the finally covers responses that never start.
        var logged = 0;
        void Log()
        {
            if (Interlocked.Exchange(ref logged, 1) == 0)
            {
                _log.Enqueue(new FakeHubRequest(
                    ctx.Request.Method, onCdn, route, SafeUnescape(rawPath), query,
                    ctx.Request.Headers.Range.Count > 0 ? ctx.Request.Headers.Range.ToString() : null,
                    hadAuth,
                    ctx.Request.Headers.UserAgent.ToString(),
                    ctx.Request.Headers.AcceptEncoding.ToString(),
                    ctx.Response.StatusCode,
                    fault?.Kind.ToString()));
            }
        }

        ctx.Response.OnStarting(() =>
        {
            Log();
            return Task.CompletedTask;
        });

        try
        {
            if (fault is { Kind: FakeHubFaultKind.Status or FakeHubFaultKind.RateLimited })
            {
                await WriteFaultStatusAsync(ctx, fault, route);
            }
            else if (fault is { Kind: FakeHubFaultKind.BadJson or FakeHubFaultKind.EndlessRedirect })
            {
                await WriteHostileAnswerAsync(ctx, fault, rawTarget);
            }
            else if (onCdn)
            {
                await HandleCdnAsync(ctx, rawPath, fault, hadAuth);
            }
            else
            {
                await HandleHubAsync(ctx, rawTarget, rawPath, fault);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested
            || _stopping.IsCancellationRequested)
        {
            ctx.Abort();
        }
        finally
        {
            Log();
        }
    }

    private static FakeHubRouteKind Classify(bool onCdn, string rawPath) =>
        onCdn ? FakeHubRouteKind.Cdn
        : rawPath.StartsWith("/api/resolve-cache/", StringComparison.Ordinal) ? FakeHubRouteKind.ResolveCache
        : rawPath.StartsWith("/api/", StringComparison.Ordinal) ? FakeHubRouteKind.Api
        : rawPath.Contains("/resolve/", StringComparison.Ordinal) || rawPath.Contains("/raw/", StringComparison.Ordinal)
            ? FakeHubRouteKind.Resolve
            : FakeHubRouteKind.Api;

    private void AddRateLimitHeaders(HttpContext ctx, FakeHubRouteKind route)
    {
        var api = route == FakeHubRouteKind.Api;
        var count = api ? Interlocked.Increment(ref _apiCount) : Interlocked.Increment(ref _resolverCount);
        var quota = api ? ApiQuota : ResolverQuota;
        var bucket = api ? "api" : "resolvers";
        var window = Math.Max(1, RateLimitWindowSeconds);
        var reset = window - (DateTimeOffset.UtcNow.ToUnixTimeSeconds() % window);
        ctx.Response.Headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture,
            $"\"{bucket}\";r={Math.Max(0, quota - count)};t={reset}");
        ctx.Response.Headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture,
            $"\"fixed window\";\"{bucket}\";q={quota};w={window}");
    }

    private Task WriteFaultStatusAsync(HttpContext ctx, FakeHubFault fault, FakeHubRouteKind route)
    {
        if (fault.Kind == FakeHubFaultKind.RateLimited)
        {
            if (fault.RetryAfterSeconds is { } ra)
            {
                ctx.Response.Headers.RetryAfter = ra.ToString(CultureInfo.InvariantCulture);
            }

            if (fault.RateLimitResetSeconds is { } t)
            {
                var bucket = route == FakeHubRouteKind.Api ? "api" : "resolvers";
                ctx.Response.Headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{bucket}\";r=0;t={t}");
            }

            return WriteErrorAsync(ctx, 429, null, "You have exceeded our hourly quotas for action 'resolve'.");
        }

        return WriteErrorAsync(ctx, fault.StatusCode, null, "Injected failure");
    }

    // ---------------------------------------------------------------------------------------------- Hub routes

    private async Task HandleHubAsync(HttpContext ctx, string rawTarget, string rawPath, FakeHubFault? fault)
    {
        if (rawPath == "/api/whoami-v2")
        {
            var token = BearerToken(ctx);
            if (token is null || !Catalog.Tokens.Contains(token))
            {
                await WriteErrorAsync(ctx, 401, null, "Invalid credentials in Authorization header");
                return;
            }

            await WriteJsonAsync(ctx, new Dictionary<string, object?> { ["type"] = "user", ["name"] = "fake-user" });
            return;
        }

        if (rawPath.StartsWith("/api/models/", StringComparison.Ordinal))
        {
            await HandleApiAsync(ctx, rawTarget, rawPath["/api/models/".Length..]);
            return;
        }

        if (rawPath.StartsWith("/api/resolve-cache/models/", StringComparison.Ordinal))
        {
            await HandleResolveCacheAsync(ctx, rawPath["/api/resolve-cache/models/".Length..], fault);
            return;
        }

        foreach (var marker in (string[])["/resolve/", "/raw/"])
        {
            var at = rawPath.IndexOf(marker, StringComparison.Ordinal);
            if (at > 1 && !rawPath.StartsWith("/api/", StringComparison.Ordinal))
            {
                await HandleResolveAsync(ctx, rawTarget, rawPath[1..at], rawPath[(at + marker.Length)..],
                    marker == "/raw/", fault);
                return;
            }
        }

        await WriteErrorAsync(ctx, 404, null, "Not Found");
    }

    private async Task HandleApiAsync(HttpContext ctx, string rawTarget, string rest)
    {
        string idRaw;
        string kind;
        string tail = string.Empty;
        var markers = new[] { "/revision/", "/tree/", "/paths-info/" };
        var hit = markers.Select(m => (m, i: rest.IndexOf(m, StringComparison.Ordinal))).Where(x => x.i > 0)
            .OrderBy(x => x.i).FirstOrDefault();
        if (hit.m is not null)
        {
            idRaw = rest[..hit.i];
            kind = hit.m;
            tail = rest[(hit.i + hit.m.Length)..];
        }
        else if (rest.EndsWith("/refs", StringComparison.Ordinal))
        {
            idRaw = rest[..^"/refs".Length];
            kind = "refs";
        }
        else
        {
            idRaw = rest;
            kind = "info";
        }

        var repo = await FindRepoAsync(ctx, rawTarget, idRaw, download: false);
        if (repo is null)
        {
            return;
        }

        switch (kind)
        {
            case "info":
                await WriteRepoInfoAsync(ctx, repo, repo.Head, repo.DefaultBranch);
                return;
            case "/revision/":
                {
                    var rev = SafeUnescape(tail);
                    var commit = await ResolveRevisionAsync(ctx, repo, rev);
                    if (commit is not null)
                    {
                        await WriteRepoInfoAsync(ctx, repo, commit, rev);
                    }

                    return;
                }

            case "/tree/":
                await WriteTreeAsync(ctx, repo, tail);
                return;
            case "/paths-info/":
                await WritePathsInfoAsync(ctx, repo, SafeUnescape(tail));
                return;
            default:
                await WriteRefsAsync(ctx, repo);
                return;
        }
    }

    /// <summary>Finds the repo, answering renames with a relative 307 and refusals per spec §4.2.</summary>
    private async Task<FakeHubRepo?> FindRepoAsync(HttpContext ctx, string rawTarget, string idRaw, bool download)
    {
        if (idRaw.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            await WriteErrorAsync(ctx, 400, null, "Repo id must not be URL-encoded");
            return null;
        }

        var id = SafeUnescape(idRaw);
        var token = BearerToken(ctx);
        var repo = Catalog.Find(id, out var renamed);
        if (renamed && repo is not null)
        {
            var at = rawTarget.IndexOf(idRaw, StringComparison.Ordinal);
            var location = rawTarget[..at] + repo.Id + rawTarget[(at + idRaw.Length)..];
            ctx.Response.StatusCode = 307;
            ctx.Response.Headers.Location = location;
            await WriteTextAsync(ctx, "Temporary Redirect. Redirecting to " + location);
            return null;
        }

        var access = Catalog.CheckAccess(repo, token, download);
        if (access == FakeHubAccess.Allowed)
        {
            return repo;
        }

        await WriteAccessErrorAsync(ctx, access, id, token is not null);
        return null;
    }

    private Task WriteAccessErrorAsync(HttpContext ctx, FakeHubAccess access, string id, bool hasToken) => access switch
    {
        FakeHubAccess.InvalidToken => WriteErrorAsync(ctx, 401, null, "Invalid credentials in Authorization header"),
        FakeHubAccess.RepoNotFound => WriteErrorAsync(ctx, hasToken ? 404 : 401, "RepoNotFound", "Repository not found"),
        FakeHubAccess.Disabled => WriteErrorAsync(ctx, 403, null, "Access to this resource is disabled."),
        FakeHubAccess.GatedNoToken => WriteErrorAsync(ctx, 401, "GatedRepo",
            $"Access to model {id} is restricted. You must have access to it and be authenticated to access it. Please log in."),
        _ => WriteErrorAsync(ctx, 403, "GatedRepo",
            $"Access to model {id} is restricted and you are not in the authorized list. Visit {HubUri}{id} to ask for access."),
    };

    private async Task<FakeHubCommit?> ResolveRevisionAsync(HttpContext ctx, FakeHubRepo repo, string rev)
    {
        var commit = repo.ResolveRevision(rev);
        if (commit is null)
        {
            await WriteErrorAsync(ctx, 404, "RevisionNotFound", $"Invalid rev id: {rev}");
        }

        return commit;
    }

    private Task WriteRepoInfoAsync(HttpContext ctx, FakeHubRepo repo, FakeHubCommit commit, string rev)
    {
        _ = rev;
        var blobs = IsTrue(ctx.Request.Query["blobs"]);
        var siblings = commit.Files.Values.Select(f =>
        {
            var s = new Dictionary<string, object?> { ["rfilename"] = f.Path };
            if (blobs)
            {
                s["size"] = f.Size;
                s["blobId"] = f.GitOid;
                if (f.IsLfs)
                {
                    s["lfs"] = new Dictionary<string, object?>
                    {
                        ["sha256"] = f.Sha256, ["size"] = f.Size, ["pointerSize"] = f.PointerSize,
                    };
                }
            }

            return s;
        }).ToList();
        var slash = repo.Id.IndexOf('/', StringComparison.Ordinal);
        var all = new Dictionary<string, object?>
        {
            ["_id"] = repo.ObjectId,
            ["id"] = repo.Id,
            ["modelId"] = repo.Id,
            ["author"] = slash > 0 ? repo.Id[..slash] : repo.Id,
            ["sha"] = commit.Sha,
            ["lastModified"] = commit.Date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["createdAt"] = "2025-01-01T00:00:00.000Z",
            ["private"] = repo.Visibility == FakeRepoVisibility.Private,
            ["gated"] = repo.Visibility == FakeRepoVisibility.Gated ? repo.GatedMode : false,
            ["disabled"] = repo.Disabled,
            ["downloads"] = 0,
            ["likes"] = 0,
            ["tags"] = new[] { "safetensors", "text-generation" },
            ["pipeline_tag"] = "text-generation",
            ["library_name"] = "transformers",
            ["siblings"] = siblings,
        };
        var expand = ctx.Request.Query["expand"].Where(e => !string.IsNullOrEmpty(e)).ToHashSet(StringComparer.Ordinal);
        if (expand.Count > 0)
        {
            all = all.Where(kv => kv.Key is "_id" or "id" || expand.Contains(kv.Key))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
        }

        return WriteJsonAsync(ctx, all);
    }

    private async Task WriteTreeAsync(HttpContext ctx, FakeHubRepo repo, string tail)
    {
        // Revision is exactly one segment (raw "refs/pr/1" reads revision "refs", as on the real Hub).
        var slash = tail.IndexOf('/', StringComparison.Ordinal);
        var revRaw = slash >= 0 ? tail[..slash] : tail;
        var pathRaw = slash >= 0 ? tail[(slash + 1)..] : string.Empty;
        var rev = SafeUnescape(revRaw);
        var path = SafeUnescape(pathRaw).Trim('/');
        var commit = await ResolveRevisionAsync(ctx, repo, rev);
        if (commit is null)
        {
            return;
        }

        if (path.Length > 0 && !commit.Directories.Contains(path))
        {
            await WriteErrorAsync(ctx, 404, "EntryNotFound", $"{path} does not exist on \"{rev}\"");
            return;
        }

        var recursive = IsTrue(ctx.Request.Query["recursive"]);
        var expand = IsTrue(ctx.Request.Query["expand"]);
        var prefix = path.Length == 0 ? string.Empty : path + "/";
        bool Under(string p) => p.StartsWith(prefix, StringComparison.Ordinal)
            && (recursive || p.IndexOf('/', prefix.Length) < 0);
        var entries = commit.Directories.Where(Under).Select(d => (Path: d, File: (FakeHubFile?)null))
            .Concat(commit.Files.Values.Where(f => Under(f.Path)).Select(f => (f.Path, File: (FakeHubFile?)f)))
            .OrderBy(e => e.Path, StringComparer.Ordinal)
            .ToList();
        var pageSize = Math.Max(1, expand ? ExpandPageSize : PageSize);
        var start = DecodeCursor(ctx.Request.Query["cursor"]);
        var page = entries.Skip(start).Take(pageSize).Select(e => Entry(e.Path, e.File, commit, expand)).ToList();
        if (start + pageSize < entries.Count)
        {
            var rawPath = ctx.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget.Split('?')[0];
            var next = string.Create(CultureInfo.InvariantCulture,
                $"http://{ctx.Request.Host}{rawPath}?recursive={(recursive ? "true" : "false")}" +
                $"&expand={(expand ? "true" : "false")}&cursor={EncodeCursor(start + pageSize)}");
            ctx.Response.Headers["Link"] = $"<{next}>; rel=\"next\"";
        }

        await WriteJsonAsync(ctx, page);
    }

    private async Task WritePathsInfoAsync(HttpContext ctx, FakeHubRepo repo, string rev)
    {
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            await WriteErrorAsync(ctx, 405, null, "Method not allowed");
            return;
        }

        var commit = await ResolveRevisionAsync(ctx, repo, rev);
        if (commit is null)
        {
            return;
        }

        var paths = new List<string>();
        var expand = false;
        if (ctx.Request.HasFormContentType)
        {
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
            paths.AddRange(form["paths"].Where(p => p is not null)!);
            expand = IsTrue(form["expand"]);
        }
        else
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
            if (doc.RootElement.TryGetProperty("paths", out var p) && p.ValueKind == JsonValueKind.Array)
            {
                paths.AddRange(p.EnumerateArray().Select(x => x.GetString()).OfType<string>());
            }

            expand = doc.RootElement.TryGetProperty("expand", out var e) && e.ValueKind == JsonValueKind.True;
        }

        var result = new List<Dictionary<string, object?>>();
        foreach (var p in paths.Select(x => x.Trim('/')).Distinct(StringComparer.Ordinal))
        {
            if (commit.Files.TryGetValue(p, out var f))
            {
                result.Add(Entry(p, f, commit, expand));
            }
            else if (commit.Directories.Contains(p))
            {
                result.Add(Entry(p, null, commit, expand));
            }
        }

        await WriteJsonAsync(ctx, result);
    }

    private Task WriteRefsAsync(HttpContext ctx, FakeHubRepo repo)
    {
        object Ref(string prefix, KeyValuePair<string, string> kv) => new Dictionary<string, object?>
        {
            ["name"] = kv.Key, ["ref"] = prefix + kv.Key, ["targetCommit"] = kv.Value,
        };
        var body = new Dictionary<string, object?>
        {
            ["branches"] = repo.Branches.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => Ref("refs/heads/", b)).ToList(),
            ["converts"] = Array.Empty<object>(),
            ["tags"] = repo.Tags.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => Ref("refs/tags/", b)).ToList(),
        };
        if (IsTrue(ctx.Request.Query["include_prs"]))
        {
            body["pullRequests"] = Array.Empty<object>();
        }

        return WriteJsonAsync(ctx, body);
    }

    private static Dictionary<string, object?> Entry(string path, FakeHubFile? file, FakeHubCommit commit, bool expand)
    {
        Dictionary<string, object?> e = file is null
            ? new()
            {
                ["type"] = "directory",
                ["oid"] = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("tree:" + path))),
                ["size"] = 0,
                ["path"] = path,
            }
            : new()
            {
                ["type"] = "file",
                ["oid"] = file.GitOid,
                ["size"] = file.Size,
                ["path"] = path,
            };
        if (file is { IsLfs: true })
        {
            e["lfs"] = new Dictionary<string, object?>
            {
                ["oid"] = file.Sha256, ["size"] = file.Size, ["pointerSize"] = file.PointerSize,
            };
        }

        if (expand)
        {
            e["lastCommit"] = new Dictionary<string, object?>
            {
                ["id"] = commit.Sha,
                ["title"] = "Synthetic commit",
                ["date"] = commit.Date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            };
        }

        return e;
    }

    private async Task HandleResolveAsync(
        HttpContext ctx, string rawTarget, string idRaw, string tail, bool raw, FakeHubFault? fault)
    {
        var repo = await FindRepoAsync(ctx, rawTarget, idRaw, download: true);
        if (repo is null)
        {
            return;
        }

        var slash = tail.IndexOf('/', StringComparison.Ordinal);
        var rev = SafeUnescape(slash >= 0 ? tail[..slash] : tail);
        var pathRaw = slash >= 0 ? tail[(slash + 1)..] : string.Empty;
        var path = SafeUnescape(pathRaw);
        var commit = await ResolveRevisionAsync(ctx, repo, rev);
        if (commit is null)
        {
            return;
        }

        ctx.Response.Headers["X-Repo-Commit"] = commit.Sha;
        if (!commit.Files.TryGetValue(path, out var file))
        {
            await WriteErrorAsync(ctx, 404, "EntryNotFound", $"{path} does not exist on \"{rev}\"");
            return;
        }

        if (raw)
        {
            var content = file.IsLfs ? FakeContent.FromText(file.PointerText) : file.Content;
            ctx.Response.Headers.ETag = Quote(file.GitOid);
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ServeContentAsync(ctx, content, fault);
            return;
        }

        var mode = file.Mode ?? (file.IsLfs ? repo.LfsFileMode : repo.RegularFileMode);
        switch (mode)
        {
            case FakeResolveMode.Redirect:
                {
                    Catalog.Publish(file);
                    var location = SignedCdnUrl(file.Sha256);
                    ctx.Response.StatusCode = 302;
                    ctx.Response.Headers.Location = location;
                    ctx.Response.Headers["X-Linked-Etag"] = Quote(file.Sha256);
                    ctx.Response.Headers["X-Linked-Size"] = (file.Size
                        + (fault?.Kind == FakeHubFaultKind.WrongLinkedSize ? 1 : 0)).ToString(CultureInfo.InvariantCulture);
                    ctx.Response.Headers.ETag = Quote(file.Sha256);
                    ctx.Response.Headers.AcceptRanges = "bytes";
                    await WriteTextAsync(ctx, "Found. Redirecting to " + location);
                    return;
                }

            case FakeResolveMode.ResolveCache:
                {
                    var location = $"/api/resolve-cache/models/{repo.Id}/{commit.Sha}/{EscapePath(path)}" +
                        $"?etag=%22{file.GitOid}%22";
                    ctx.Response.StatusCode = 307;
                    ctx.Response.Headers.Location = location;
                    await WriteTextAsync(ctx, "Temporary Redirect. Redirecting to " + location);
                    return;
                }

            default:
                if (file.IsLfs)
                {
                    ctx.Response.Headers["X-Linked-Etag"] = Quote(file.Sha256);
                    ctx.Response.Headers["X-Linked-Size"] = (file.Size
                        + (fault?.Kind == FakeHubFaultKind.WrongLinkedSize ? 1 : 0)).ToString(CultureInfo.InvariantCulture);
                }

                ctx.Response.Headers.ETag = Quote(file.IsLfs ? file.Sha256 : file.GitOid);
                ctx.Response.ContentType = ContentTypeOf(path);
                await ServeContentAsync(ctx, file.Content, fault);
                return;
        }
    }

    private async Task HandleResolveCacheAsync(HttpContext ctx, string rest, FakeHubFault? fault)
    {
        var segments = rest.Split('/');
        foreach (var idSegments in (int[])[2, 1])
        {
            if (segments.Length <= idSegments + 1)
            {
                continue;
            }

            var id = string.Join('/', segments.Take(idSegments));
            var repo = Catalog.Find(id, out _);
            if (repo is null || !repo.Commits.TryGetValue(segments[idSegments], out var commit))
            {
                continue;
            }

            var access = Catalog.CheckAccess(repo, BearerToken(ctx), download: true);
            if (access != FakeHubAccess.Allowed)
            {
                await WriteAccessErrorAsync(ctx, access, id, BearerToken(ctx) is not null);
                return;
            }

            ctx.Response.Headers["X-Repo-Commit"] = commit.Sha;
            var path = SafeUnescape(string.Join('/', segments.Skip(idSegments + 1)));
            if (!commit.Files.TryGetValue(path, out var file))
            {
                await WriteErrorAsync(ctx, 404, "EntryNotFound", $"{path} does not exist on \"{commit.Sha}\"");
                return;
            }

            ctx.Response.Headers.ETag = Quote(file.IsLfs ? file.Sha256 : file.GitOid);
            ctx.Response.ContentType = ContentTypeOf(path);
            await ServeContentAsync(ctx, file.Content, fault);
            return;
        }

        await WriteErrorAsync(ctx, 404, "EntryNotFound", "Entry not found");
    }

    // ---------------------------------------------------------------------------------------------- CDN

    private string SignedCdnUrl(string sha256)
    {
        var exp = (Clock.GetUtcNow() + SignedUrlTtl).ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture,
            $"{CdnUri.AbsoluteUri.TrimEnd('/')}/blob/{sha256}?exp={exp}&sig={Sign(sha256, exp)}");
    }

    private string Sign(string sha256, long exp) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_secret,
            Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{sha256}\n{exp}"))));

    private async Task HandleCdnAsync(HttpContext ctx, string rawPath, FakeHubFault? fault, bool hadAuth)
    {
        if (hadAuth && StrictCdn)
        {
            await WriteCdnErrorAsync(ctx, 400, "InvalidArgument", "Only one auth mechanism allowed");
            return;
        }

        if (!rawPath.StartsWith("/blob/", StringComparison.Ordinal))
        {
            await WriteCdnErrorAsync(ctx, 404, "NoSuchKey", "Not found");
            return;
        }

        var sha = rawPath["/blob/".Length..];
        var expText = ctx.Request.Query["exp"].ToString();
        var sig = ctx.Request.Query["sig"].ToString();
        if (fault?.Kind == FakeHubFaultKind.ExpiredSignature
            || !long.TryParse(expText, NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            || exp < Clock.GetUtcNow().ToUnixTimeSeconds()
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sig), Encoding.ASCII.GetBytes(Sign(sha, exp))))
        {
            await WriteCdnErrorAsync(ctx, 403, "AccessDenied", "Request has expired");
            return;
        }

        var file = Catalog.FindBySha256(sha);
        if (file is null)
        {
            await WriteCdnErrorAsync(ctx, 404, "NoSuchKey", "Not found");
            return;
        }

        ctx.Response.Headers.ETag = Quote(sha);
        ctx.Response.ContentType = "application/octet-stream";
        await ServeContentAsync(ctx, file.Content, fault);
    }

    private static Task WriteCdnErrorAsync(HttpContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            return Task.CompletedTask;
        }

        ctx.Response.ContentType = "application/xml";
        return ctx.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>");
    }

    // ---------------------------------------------------------------------------------------------- bodies

    private async Task ServeContentAsync(HttpContext ctx, FakeContent content, FakeHubFault? fault)
    {
        var length = content.Length;
        long start = 0;
        var count = length;
        var partial = false;
        var range = ctx.Request.Headers.Range.ToString();
        ctx.Response.Headers.AcceptRanges = "bytes";
        if (range.Length > 0 && fault?.Kind != FakeHubFaultKind.IgnoreRange)
        {
            switch (ParseRange(range, length, out var s, out var e))
            {
                case RangeResult.Unsatisfiable:
                    ctx.Response.StatusCode = 416;
                    ctx.Response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{length}");
                    ctx.Response.ContentLength = 0;
                    return;
                case RangeResult.Ok:
                    start = s;
                    count = e - s + 1;
                    partial = true;
                    break;
            }
        }

        ctx.Response.StatusCode = partial ? 206 : 200;
        if (partial)
        {
            ctx.Response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture,
                $"bytes {start}-{start + count - 1}/{length}");
        }

        ctx.Response.ContentLength = DeclaredLength(count, fault);
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            return;
        }

        await WriteBodyAsync(ctx, content, start, count, fault);
        Interlocked.Add(ref _fileBytesSent, count);
    }

    private async Task WriteBodyAsync(HttpContext ctx, FakeContent content, long start, long count, FakeHubFault? fault)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        var ct = linked.Token;
        var kind = fault?.Kind;
        var chunk = kind == FakeHubFaultKind.Throttle
            ? (int)Math.Clamp(fault!.BytesPerSecond / 10, 1024, ChunkSize)
            : ChunkSize;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var body = ctx.Response.Body;
            long sent = 0;
            var stalled = false;
            while (sent < count)
            {
                var n = (int)Math.Min(chunk, count - sent);
                if (kind is FakeHubFaultKind.ResetAfterBytes or FakeHubFaultKind.Stall)
                {
                    var k = fault!.AfterBytes;
                    if (sent >= k && kind == FakeHubFaultKind.ResetAfterBytes)
                    {
                        // Ending the handler short of Content-Length makes Kestrel close the connection after the
                        // bytes written so far are sent (ctx.Abort() would race and drop unsent bytes).
                        await body.FlushAsync(ct);
                        return;
                    }

                    if (sent >= k && !stalled)
                    {
                        await body.FlushAsync(ct);
                        stalled = true;
                        await Task.Delay(fault.Duration, ct);
                    }

                    if (sent < k && sent + n > k)
                    {
                        n = (int)(k - sent);
                    }
                }

                content.Fill(start + sent, buffer.AsSpan(0, n));
                if (kind == FakeHubFaultKind.WrongBytes)
                {
                    var at = fault!.AfterBytes - (start + sent);
                    if (at >= 0 && at < n)
                    {
                        buffer[at] ^= 0xFF;
                    }
                }

                await body.WriteAsync(buffer.AsMemory(0, n), ct);
                sent += n;
                if (kind == FakeHubFaultKind.Throttle)
                {
                    await body.FlushAsync(ct);
                    await Task.Delay(TimeSpan.FromSeconds((double)n / fault!.BytesPerSecond), ct);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum RangeResult
    {
        Ignored,
        Ok,
        Unsatisfiable,
    }

    private static RangeResult ParseRange(string header, long length, out long start, out long end)
    {
        start = 0;
        end = length - 1;
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return RangeResult.Ignored;
        }

        var spec = header["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return RangeResult.Ignored;
        }

        var a = spec[..dash];
        var b = spec[(dash + 1)..];
        if (a.Length == 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return RangeResult.Ignored;
            }

            if (suffix == 0 || length == 0)
            {
                return RangeResult.Unsatisfiable;
            }

            start = Math.Max(0, length - suffix);
            return RangeResult.Ok;
        }

        if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out start))
        {
            return RangeResult.Ignored;
        }

        if (b.Length > 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return RangeResult.Ignored;
            }
        }

        if (start >= length)
        {
            return RangeResult.Unsatisfiable;
        }

        end = Math.Min(end, length - 1);
        return RangeResult.Ok;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private async Task WriteErrorAsync(HttpContext ctx, int status, string? code, string message)
    {
        ctx.Response.StatusCode = status;
        if (code is not null)
        {
            ctx.Response.Headers["X-Error-Code"] = code;
        }

        ctx.Response.Headers["X-Error-Message"] = AsciiHeader(message);
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            return;
        }

        await WriteJsonAsync(ctx, new Dictionary<string, object?> { ["error"] = message });
    }

    private async Task WriteJsonAsync(HttpContext ctx, object value)
    {
        var bytes = Tamper(JsonSerializer.SerializeToUtf8Bytes(value), ctx.Items[FaultKey] as FakeHubFault);
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = DeclaredLength(bytes.Length, ctx.Items[FaultKey] as FakeHubFault);
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            // Body faults (reset, stall, throttle, wrong bytes) apply to JSON pages too.
            await WriteBodyAsync(ctx, FakeContent.FromBytes(bytes), 0, bytes.Length, ctx.Items[FaultKey] as FakeHubFault);
        }
    }

    private static async Task WriteTextAsync(HttpContext ctx, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
        }
    }

    private static string? BearerToken(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : header;
    }

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) =>
        value.ToString() is "true" or "1" or "True";

    private static int DecodeCursor(Microsoft.Extensions.Primitives.StringValues value)
    {
        if (value.Count == 0 || string.IsNullOrEmpty(value[0]))
        {
            return 0;
        }

        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(Uri.UnescapeDataString(value[0]!)));
            return text.StartsWith("idx:", StringComparison.Ordinal)
                ? int.Parse(text[4..], CultureInfo.InvariantCulture)
                : 0;
        }
        catch (FormatException)
        {
            return 0;
        }
    }

    private static string EncodeCursor(int index) =>
        Uri.EscapeDataString(Convert.ToBase64String(Encoding.ASCII.GetBytes(
            "idx:" + index.ToString(CultureInfo.InvariantCulture))));

    private static string Quote(string value) => "\"" + value + "\"";

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string SafeUnescape(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }

    private static string AsciiHeader(string value) =>
        new(value.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    private static string ContentTypeOf(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "application/json"
        : path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
            ? "text/plain; charset=utf-8"
            : "application/octet-stream";
}
