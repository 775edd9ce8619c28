using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// The Hub's rate-limit quotas per bucket (spec §4.3): a response saying a bucket is exhausted makes the next call to
/// it wait for the reset instead of drawing a 429, or fail at once when the wait is longer than the retry limit.
/// </summary>
internal sealed class HubQuota(TimeProvider time, TimeSpan maxWait, ILogger logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _blockedUntil = new(StringComparer.Ordinal);

    /// <summary>The Hub's rate-limit bucket of a URL (spec §4.3): "resolvers" for /resolve/, else "api".</summary>
    private static string Bucket(Uri uri) =>
        uri.AbsolutePath.Contains("/resolve/", StringComparison.Ordinal) ? "resolvers" : "api";

    /// <summary>Remembers a <c>RateLimit: ...;r=0;t=N</c> so the next call to that bucket waits instead of a 429.</summary>
    public void Note(Uri uri, HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("RateLimit", out var values)
            && RateLimitHeader.Parse(values.FirstOrDefault()) is { Remaining: 0, ResetSeconds: > 0 } limit)
        {
            _blockedUntil[limit.Bucket ?? Bucket(uri)] = time.GetUtcNow().AddSeconds(limit.ResetSeconds.Value);
        }
    }

    public async Task WaitAsync(Uri uri, CancellationToken cancellationToken)
    {
        var bucket = Bucket(uri);
        if (!_blockedUntil.TryGetValue(bucket, out var until))
        {
            return;
        }

        var wait = until - time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            _blockedUntil.TryRemove(new KeyValuePair<string, DateTimeOffset>(bucket, until));
            return;
        }

        if (wait > maxWait)
        {
            throw new HubException(HubErrorKind.RateLimited,
                $"Hub quota for '{bucket}' exhausted for another {wait.TotalSeconds:F0} s.", retryAfter: wait);
        }

        logger.RateLimited($"quota '{bucket}' exhausted", wait.TotalMilliseconds);
        await Task.Delay(wait, time, cancellationToken);
    }
}
