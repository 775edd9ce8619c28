using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// Where a file's bytes are and how they are fetched: the single-flight HEAD on <c>/resolve</c> that yields a
/// <see cref="FileLocation"/>, and the ranged GETs of that location straight into the caller's buffer (resumed
/// where a body broke, checked against the request).
/// </summary>
public sealed partial class HttpModelHub
{
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
}
