using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// <see cref="IModelHub"/> over plain HTTPS (spec §9).
///
/// How the pieces fit: every request goes through <see cref="SendAsync"/>, which follows redirects itself
/// (AllowAutoRedirect is off) and decides per hop whether the token goes along — only to the endpoint's own
/// scheme+host+port, never to another authority, never https→http. Reading a file is two steps: a HEAD on
/// <c>/resolve</c> that stops before the first foreign hop (its 3xx carries size, sha256 and commit) gives a
/// <see cref="FileLocation"/> cached by <see cref="SignedUrlCache"/> until the signed URL's expiry; then GETs of that
/// location straight into the caller's buffer. A 403 from the CDN or an expired entry sends us back to the Hub.
/// One Polly retry pipeline wraps each logical step; a body that breaks after delivering bytes is resumed from where
/// it stopped without counting as a failed attempt, so a reader never gets a short or wrong buffer silently.
/// Invariant: the token never leaves the Hub's authority and never appears in a log line or exception message.
/// </summary>
public sealed class HttpModelHub : IModelHub, IDisposable
{
    private const int ScratchSize = 64 * 1024;

    private readonly HubOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly Uri _endpoint;
    private readonly string _base;
    private readonly ResiliencePipeline _pipeline;
    private readonly SignedUrlCache _locations;
    private readonly string _userAgent;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _quotaBlockedUntil =
        new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, string), Lazy<Task<FileLocation>>>
        _resolving = new();

    public HttpModelHub(
        HubOptions options,
        ILogger<HttpModelHub>? logger = null,
        TimeProvider? timeProvider = null,
        HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _token = options.ResolveToken();
        _endpoint = options.Endpoint;
        _base = options.Endpoint.AbsoluteUri.TrimEnd('/');
        _http = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _locations = new SignedUrlCache(_time);
        _userAgent = "hcpmodelfs/" + Version;
        _pipeline = BuildPipeline();
    }

    /// <summary>The version in the User-Agent (assembly informational version without build metadata).</summary>
    public static string Version { get; } = GetVersion();

    internal SignedUrlCache Locations => _locations;

    public void Dispose() => _http.Dispose();

    public Task<HubRevision> ResolveRevisionAsync(
        HubRepoId repo, string revision, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(revision);
        var uri = new Uri($"{_base}/api/models/{repo.Value}/revision/{Uri.EscapeDataString(revision)}");
        return ExecuteAsync(
            async ct =>
            {
                using var response = await SendAsync(HttpMethod.Get, uri, null, stopAtForeignHost: false, ct);
                EnsureSuccess(response, HubRoute.Api);
                using var json = await ReadJsonAsync(response, ct);
                return ParseRevision(json.RootElement, repo, revision);
            },
            cancellationToken);
    }

    public async IAsyncEnumerable<HubFile> ListFilesAsync(
        HubRepoId repo, string commitSha, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        RequireCommit(commitSha);
        Uri? next = new($"{_base}/api/models/{repo.Value}/tree/{commitSha}?recursive=true&expand=false");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (next is not null)
        {
            if (!seen.Add(next.AbsoluteUri))
            {
                throw new HubException(HubErrorKind.Protocol,
                    $"Tree listing of {repo} loops: next page {HubErrorClassifier.Describe(next)} was already read.");
            }

            var pageUri = next;
            var (files, link) = await ExecuteAsync(
                async ct =>
                {
                    using var response = await SendAsync(
                        HttpMethod.Get, pageUri, static r => r.Headers.Accept.ParseAdd("application/json"),
                        stopAtForeignHost: false, ct);
                    EnsureSuccess(response, HubRoute.Api);
                    using var json = await ReadJsonAsync(response, ct);
                    return (ParseTreePage(json.RootElement), NextLink(response.Message));
                },
                cancellationToken);
            foreach (var file in files)
            {
                yield return file;
            }

            next = link;
        }
    }

    public async Task<HubFileLocation> ResolveFileAsync(
        HubRepoId repo, string commitSha, string path, CancellationToken cancellationToken)
    {
        RequireCommit(commitSha);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var location = await ExecuteAsync(ct => GetLocationAsync(repo, commitSha, path, ct), cancellationToken);
        return new HubFileLocation(location.Size, location.ETag, location.CommitSha, location.IsLfs);
    }

    public async ValueTask ReadRangeAsync(
        HubRepoId repo,
        string commitSha,
        string path,
        long offset,
        Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        RequireCommit(commitSha);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.IsEmpty)
        {
            return;
        }

        var progress = new StrongBox<int>(0);
        FileLocation? used = null;
        await ExecuteAsync(
            async ct =>
            {
                var location = await GetLocationAsync(repo, commitSha, path, ct);
                if (offset > location.Size - destination.Length)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(offset), $"Range {offset}+{destination.Length} is past the end of {path} ({location.Size} bytes).");
                }

                used = location;
                await ReadFromLocationAsync(repo, commitSha, path, location, offset, destination, progress, ct);
                return true;
            },
            cancellationToken);
        HubMetrics.Reads.Add(1);
        HubMetrics.BytesRead.Add(destination.Length);

        if (_options.VerifyWholeFileReads && offset == 0 && used is not null && destination.Length == used.Size)
        {
            var actual = used.IsLfs
                ? Convert.ToHexStringLower(SHA256.HashData(destination.Span))
                : GitBlobSha1(destination.Span);
            if (!string.Equals(actual, used.ETag, StringComparison.OrdinalIgnoreCase))
            {
                _locations.Invalidate(repo, commitSha, path, used);
                throw new HubException(HubErrorKind.Integrity,
                    $"Content of {repo}@{commitSha}:{path} does not match its {(used.IsLfs ? "sha256" : "git sha1")}.");
            }
        }
    }

    /// <summary>SHA-1 over "blob {size}\0" + bytes: the git object id of a regular file.</summary>
    internal static string GitBlobSha1(ReadOnlySpan<byte> content)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes(
            "blob " + content.Length.ToString(CultureInfo.InvariantCulture) + "\0"));
        sha1.AppendData(content);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    internal static Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var header in values)
        {
            foreach (var part in header.Split(','))
            {
                var open = part.IndexOf('<', StringComparison.Ordinal);
                var close = part.IndexOf('>', StringComparison.Ordinal);
                if (open < 0 || close < open)
                {
                    continue;
                }

                var parameters = part[(close + 1)..];
                if (parameters.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase)
                    || parameters.Contains("rel=next", StringComparison.OrdinalIgnoreCase))
                {
                    var target = part[(open + 1)..close].Trim();
                    return Uri.TryCreate(target, UriKind.Absolute, out var uri) ? uri
                        : response.RequestMessage?.RequestUri is { } req ? new Uri(req, target) : null;
                }
            }
        }

        return null;
    }

    private static SocketsHttpHandler CreateHandler(HubOptions options) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = options.RequestTimeout,
        MaxConnectionsPerServer = options.MaxConnectionsPerServer,
    };

    private static string GetVersion()
    {
        var asm = typeof(HttpModelHub).Assembly;
        var info = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(info))
        {
            return asm.GetName().Version?.ToString(3) ?? "0.0.0";
        }

        var plus = info.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? info[..plus] : info;
    }

    private static void RequireCommit(string commitSha)
    {
        if (commitSha is not { Length: 40 } || !commitSha.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("A pinned commit must be 40 lowercase hex characters.", nameof(commitSha));
        }
    }

    private ResiliencePipeline BuildPipeline()
    {
        var retry = new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, _options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryBaseDelay,
            MaxDelay = _options.RetryMaxDelay,
            ShouldHandle = new PredicateBuilder()
                .Handle<HubException>(e => e.IsTransient && !(e.RetryAfter > _options.MaxRetryAfter))
                .Handle<HttpRequestException>()
                .Handle<IOException>(),
            DelayGenerator = static args =>
                new ValueTask<TimeSpan?>(args.Outcome.Exception is HubException { RetryAfter: { } after } ? after : null),
            OnRetry = args =>
            {
                var ex = args.Outcome.Exception;
                var reason = Redact(ex?.Message ?? "unknown");
                if (ex is HubException { Kind: HubErrorKind.RateLimited })
                {
                    _logger.RateLimited(reason, args.RetryDelay.TotalMilliseconds);
                }
                else
                {
                    _logger.RetryScheduled(reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                }

                return ValueTask.CompletedTask;
            },
        };
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(retry);
        }

        // Inside the retries: every failed attempt counts, and an open circuit ends the call at once (a
        // BrokenCircuitException is not retried), so readers of a dead or hanging Hub fail fast.
        if (_options.CircuitMinimumThroughput >= 2)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = _options.CircuitMinimumThroughput,
                SamplingDuration = _options.CircuitSamplingDuration,
                BreakDuration = _options.CircuitBreakDuration,
                ShouldHandle = new PredicateBuilder()
                    .Handle<HubException>(e => e.Kind == HubErrorKind.Unavailable)
                    .Handle<HttpRequestException>()
                    .Handle<IOException>(),
            });
        }

        return builder.Build();
    }

    private async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, ct) => await state(ct), action, cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            throw new HubException(HubErrorKind.Unavailable,
                "Hub calls are failing; circuit open, not trying again yet.", retryAfter: ex.RetryAfter, innerException: ex);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubException(HubErrorKind.Unavailable,
                $"Hub unreachable after {_options.MaxRetries + 1} attempts: {Redact(ex.Message)}",
                statusCode: ex.StatusCode is { } s ? (int)s : null, innerException: ex);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubException(HubErrorKind.Unavailable,
                $"Hub connection failed after {_options.MaxRetries + 1} attempts: {Redact(ex.Message)}",
                innerException: ex);
        }
    }

    /// <summary>
    /// The cached location, or one HEAD shared by every concurrent reader of the same file (single flight). The shared
    /// HEAD is not tied to any one caller's token — it is bounded by the request timeout and the redirect limit — and
    /// each caller stops waiting when its own token is cancelled.
    /// </summary>
    private async Task<FileLocation> GetLocationAsync(
        HubRepoId repo, string commit, string path, CancellationToken ct)
    {
        if (_locations.TryGet(repo, commit, path, out var cached))
        {
            return cached;
        }

        var key = (repo.Value, commit, path);
        var flight = _resolving.GetOrAdd(key, k => new Lazy<Task<FileLocation>>(() => ResolveOnceAsync(k, repo)));
        return await flight.Value.WaitAsync(ct);
    }

    /// <summary>Runs one shared resolution and unregisters it before completing, so no caller sees a stale one.</summary>
    private async Task<FileLocation> ResolveOnceAsync((string Repo, string Commit, string Path) key, HubRepoId repo)
    {
        try
        {
            return await ResolveLocationAsync(repo, key.Commit, key.Path, CancellationToken.None);
        }
        finally
        {
            _resolving.TryRemove(key, out _);
        }
    }

    private async Task<FileLocation> ResolveLocationAsync(
        HubRepoId repo, string commit, string path, CancellationToken ct)
    {
        var uri = new Uri($"{_base}/{repo.Value}/resolve/{commit}/{EscapePath(path)}");
        using var response = await SendAsync(HttpMethod.Head, uri, null, stopAtForeignHost: true, ct);
        var message = response.Message;
        if (response.ForeignLocation is null)
        {
            EnsureSuccess(response, HubRoute.Resolve);
        }

        var repoCommit = Header(message, "X-Repo-Commit");
        if (repoCommit is null)
        {
            throw new HubException(HubErrorKind.Protocol,
                $"HEAD {HubErrorClassifier.Describe(response.RequestUri)} has no X-Repo-Commit: not a Hugging Face Hub.");
        }

        if (!string.Equals(repoCommit, commit, StringComparison.OrdinalIgnoreCase))
        {
            throw new HubException(HubErrorKind.Integrity,
                $"Hub served commit {repoCommit} for pinned commit {commit} ({repo}:{path}).");
        }

        var linkedEtag = Header(message, "X-Linked-Etag");
        var etag = NormalizeETag(linkedEtag ?? message.Headers.ETag?.ToString() ?? Header(message, "ETag"));
        long? size = long.TryParse(Header(message, "X-Linked-Size"), NumberStyles.None, CultureInfo.InvariantCulture,
            out var linked) ? linked : null;
        if (size is null && response.ForeignLocation is null)
        {
            size = message.Content.Headers.ContentLength;
        }

        if (size is null || etag is null)
        {
            throw new HubException(HubErrorKind.Protocol,
                $"HEAD {HubErrorClassifier.Describe(response.RequestUri)} gave no size or etag for {path}.");
        }

        var now = _time.GetUtcNow();
        FileLocation location;
        if (response.ForeignLocation is { } foreign)
        {
            var expiry = SignedUrlExpiry.Parse(foreign) ?? now + _options.LocationDefaultTtl;
            location = new FileLocation(foreign, OnHubHost: false, size.Value, etag, IsLfs: linkedEtag is not null,
                repoCommit.ToLowerInvariant(), expiry - _options.SignedUrlSafetyMargin);
        }
        else
        {
            location = new FileLocation(response.RequestUri, OnHubHost: true, size.Value, etag,
                IsLfs: linkedEtag is not null, repoCommit.ToLowerInvariant(), now + _options.LocationDefaultTtl);
        }

        _locations.Set(repo, commit, path, location);
        return location;
    }

    private async Task ReadFromLocationAsync(
        HubRepoId repo,
        string commit,
        string path,
        FileLocation location,
        long offset,
        Memory<byte> destination,
        StrongBox<int> done,
        CancellationToken cancellationToken)
    {
        var resumes = 0;
        var ranged = location.Size > _options.RangedReadThreshold;
        while (done.Value < destination.Length)
        {
            var start = offset + done.Value;
            var end = offset + destination.Length - 1;
            Action<HttpRequestMessage>? configure = ranged
                ? r => r.Headers.Range = new RangeHeaderValue(start, end)
                : null;
            using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
            var before = done.Value;
            string reason;
            try
            {
                using var response = await SendAsync(
                    HttpMethod.Get, location.DataUri, configure, stopAtForeignHost: false, cancellationToken);
                var message = response.Message;
                if (message.StatusCode == HttpStatusCode.Forbidden && !response.OnHubHost)
                {
                    _locations.Invalidate(repo, commit, path, location);
                    _logger.SignedUrlRefreshed(repo.Value, commit, path);
                    throw HubErrorClassifier.Classify(message, HubRoute.Data, false, response.SentToken, _time.GetUtcNow());
                }

                if (message.StatusCode == HttpStatusCode.NotFound && !response.OnHubHost)
                {
                    // A CDN that lost the object: the location is stale, ask the Hub again.
                    _locations.Invalidate(repo, commit, path, location);
                    throw new HubException(HubErrorKind.Unavailable,
                        $"GET {HubErrorClassifier.Describe(response.RequestUri)} answered 404; resolving again.", 404);
                }

                EnsureSuccess(response, response.OnHubHost ? HubRoute.Resolve : HubRoute.Data);
                var skip = CheckDataResponse(message, location, start, end, ranged);
                if (message.Content.Headers.ContentEncoding.Any(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase)))
                {
                    throw new HubException(HubErrorKind.Protocol,
                        $"GET {HubErrorClassifier.Describe(response.RequestUri)} came back content-encoded.");
                }

                await using var body = await message.Content.ReadAsStreamAsync(linked.Token);
                if (skip > 0)
                {
                    await SkipAsync(body, skip, idle, linked.Token);
                }

                while (done.Value < destination.Length)
                {
                    idle.CancelAfter(_options.ReadIdleTimeout);
                    var n = await body.ReadAsync(destination[done.Value..], linked.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    done.Value += n;
                }

                if (done.Value == destination.Length)
                {
                    return;
                }

                reason = "body ended early";
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested
                && !cancellationToken.IsCancellationRequested)
            {
                reason = "stalled";
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException
                && !cancellationToken.IsCancellationRequested)
            {
                reason = Redact(ex.Message);
            }

            var progressed = done.Value > before;
            if (!progressed || ++resumes > _options.MaxResumes)
            {
                throw new HubException(HubErrorKind.Unavailable,
                    $"Reading {repo}@{commit}:{path} failed at byte {offset + done.Value}: {reason}.");
            }

            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.ResumingTruncatedBody(HubErrorClassifier.Describe(location.DataUri), done.Value,
                    destination.Length, reason);
            }
        }
    }

    /// <summary>Checks a 200/206 against the request; returns how many leading body bytes to skip.</summary>
    private long CheckDataResponse(HttpResponseMessage message, FileLocation location, long start, long end, bool ranged)
    {
        var etag = NormalizeETag(message.Headers.ETag?.ToString());
        if (etag is not null && etag.Length == location.ETag.Length
            && !string.Equals(etag, location.ETag, StringComparison.OrdinalIgnoreCase))
        {
            throw new HubException(HubErrorKind.Integrity,
                $"GET {HubErrorClassifier.Describe(message.RequestMessage?.RequestUri)} served etag {etag}, expected {location.ETag}.");
        }

        if (message.StatusCode == HttpStatusCode.PartialContent)
        {
            var range = message.Content.Headers.ContentRange;
            if (range is null || range.From != start || (range.To is { } to && to > end))
            {
                throw new HubException(HubErrorKind.Unavailable,
                    $"Asked for bytes {start}-{end}, got Content-Range {range?.ToString() ?? "(none)"}.");
            }

            if (range.Length is { } total && total != location.Size)
            {
                throw new HubException(HubErrorKind.Integrity,
                    $"Content-Range total {total} differs from the advertised size {location.Size}.");
            }

            return 0;
        }

        if (message.StatusCode != HttpStatusCode.OK)
        {
            throw new HubException(HubErrorKind.Protocol,
                $"Unexpected status {(int)message.StatusCode} for a data request.", (int)message.StatusCode);
        }

        if (message.Content.Headers.ContentLength is { } length && length != location.Size)
        {
            throw new HubException(HubErrorKind.Integrity,
                $"Body length {length} differs from the advertised size {location.Size}.");
        }

        // 200: either we asked for the whole small file, or the server ignored our Range.
        if (ranged && start > _options.MaxSkipOnIgnoredRange)
        {
            throw new HubException(HubErrorKind.Unavailable,
                $"Server ignored Range for offset {start}; skipping that far is not worth it.");
        }

        return start;
    }

    private async Task SkipAsync(Stream body, long count, CancellationTokenSource idle, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(ScratchSize);
        try
        {
            while (count > 0)
            {
                idle.CancelAfter(_options.ReadIdleTimeout);
                var n = await body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(count, scratch.Length)), ct);
                if (n == 0)
                {
                    throw new IOException("Body ended while skipping to the requested offset.");
                }

                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

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
                await WaitForQuotaAsync(uri, cancellationToken);
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
                NoteQuota(uri, response);
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

    /// <summary>The Hub's rate-limit bucket of a URL (spec §4.3): "resolvers" for /resolve/, else "api".</summary>
    private static string Bucket(Uri uri) =>
        uri.AbsolutePath.Contains("/resolve/", StringComparison.Ordinal) ? "resolvers" : "api";

    /// <summary>Remembers a <c>RateLimit: ...;r=0;t=N</c> so the next call to that bucket waits instead of a 429.</summary>
    private void NoteQuota(Uri uri, HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("RateLimit", out var values)
            && RateLimitHeader.Parse(values.FirstOrDefault()) is { Remaining: 0, ResetSeconds: > 0 } limit)
        {
            _quotaBlockedUntil[limit.Bucket ?? Bucket(uri)] = _time.GetUtcNow().AddSeconds(limit.ResetSeconds.Value);
        }
    }

    private async Task WaitForQuotaAsync(Uri uri, CancellationToken cancellationToken)
    {
        var bucket = Bucket(uri);
        if (!_quotaBlockedUntil.TryGetValue(bucket, out var until))
        {
            return;
        }

        var wait = until - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            _quotaBlockedUntil.TryRemove(new KeyValuePair<string, DateTimeOffset>(bucket, until));
            return;
        }

        if (wait > _options.MaxRetryAfter)
        {
            throw new HubException(HubErrorKind.RateLimited,
                $"Hub quota for '{bucket}' exhausted for another {wait.TotalSeconds:F0} s.", retryAfter: wait);
        }

        _logger.RateLimited($"quota '{bucket}' exhausted", wait.TotalMilliseconds);
        await Task.Delay(wait, _time, cancellationToken);
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

    private static HubRevision ParseRevision(JsonElement root, HubRepoId requested, string revision)
    {
        var sha = GetString(root, "sha");
        if (sha is null || sha.Length != 40 || !sha.All(char.IsAsciiHexDigit))
        {
            throw new HubException(HubErrorKind.Protocol, $"Revision '{revision}' of {requested} has no valid sha.");
        }

        var id = GetString(root, "id") is { } canonical && HubRepoId.TryParse(canonical, out var parsed)
            ? parsed
            : requested;
        string? gated = null;
        if (root.TryGetProperty("gated", out var g))
        {
            gated = g.ValueKind switch
            {
                JsonValueKind.String => g.GetString(),
                JsonValueKind.True => "auto",
                _ => null,
            };
        }

        DateTimeOffset? lastModified = GetString(root, "lastModified") is { } lm
            && DateTimeOffset.TryParse(lm, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
            ? d
            : null;
        return new HubRevision(id, revision, sha.ToLowerInvariant(), GetBool(root, "private"), gated,
            GetBool(root, "disabled"), lastModified);
    }

    private static List<HubFile> ParseTreePage(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new HubException(HubErrorKind.Protocol, "Tree listing is not a JSON array.");
        }

        var files = new List<HubFile>(root.GetArrayLength());
        foreach (var entry in root.EnumerateArray())
        {
            if (GetString(entry, "type") != "file")
            {
                continue;
            }

            var path = GetString(entry, "path");
            var oid = GetString(entry, "oid");
            if (path is null || oid is null || !entry.TryGetProperty("size", out var sizeElement)
                || !sizeElement.TryGetInt64(out var size))
            {
                throw new HubException(HubErrorKind.Protocol, "Tree entry without path, oid or size.");
            }

            string? sha256 = null;
            if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
            {
                sha256 = GetString(lfs, "oid") ?? GetString(lfs, "sha256");
                if (lfs.TryGetProperty("size", out var lfsSize) && lfsSize.TryGetInt64(out var ls))
                {
                    size = ls;
                }
            }

            files.Add(new HubFile(path, size, oid, sha256));
        }

        return files;
    }

    private static string? GetString(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    private static bool GetBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static string? Header(HttpResponseMessage message, string name) =>
        message.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>Strips W/ and quotes; lowercase.</summary>
    internal static string? NormalizeETag(string? etag)
    {
        if (string.IsNullOrWhiteSpace(etag))
        {
            return null;
        }

        var e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal))
        {
            e = e[2..];
        }

        return e.Trim('"').ToLowerInvariant();
    }

    /// <summary>Percent-encodes each segment of a repo path (spaces, UTF-8, '#', '?', '%'), keeping '/'.</summary>
    internal static string EscapePath(string path) =>
        string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private string Redact(string text) =>
        _token is { Length: > 0 } t ? text.Replace(t, "***", StringComparison.Ordinal) : text;
}
