using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
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
public sealed partial class HttpModelHub : IModelHub, IDisposable
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
    private readonly HubQuota _quota;
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
        _quota = new HubQuota(_time, options.MaxRetryAfter, _logger);
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
                return HubMetadataParser.ParseRevision(json.RootElement, repo, revision);
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
                    return (HubMetadataParser.ParseTreePage(json.RootElement), NextLink(response.Message));
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
}
