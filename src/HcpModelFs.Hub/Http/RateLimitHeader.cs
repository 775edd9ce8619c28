using System.Globalization;
using System.Net.Http.Headers;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// The Hub's quota headers (IETF draft ratelimit-headers v9, spec §4.3): <c>RateLimit: "api";r=0;t=57</c>, and the
/// classic <c>Retry-After</c> (delta seconds or HTTP date).
/// </summary>
internal readonly record struct RateLimitHeader(string? Bucket, long? Remaining, long? ResetSeconds)
{
    /// <summary>Parses the first item of a RateLimit header; unknown parameters are ignored.</summary>
    public static RateLimitHeader? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var item = value.Split(',')[0];
        string? bucket = null;
        long? r = null;
        long? t = null;
        var parts = item.Split(';');
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i].Trim();
            if (i == 0 && !p.Contains('=', StringComparison.Ordinal))
            {
                bucket = p.Trim('"');
                continue;
            }

            var eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = p[..eq].Trim();
            var raw = p[(eq + 1)..].Trim().Trim('"');
            if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                continue;
            }

            if (key == "r")
            {
                r = n;
            }
            else if (key == "t")
            {
                t = n;
            }
        }

        return bucket is null && r is null && t is null ? null : new RateLimitHeader(bucket, r, t);
    }

    /// <summary>
    /// How long the server asked us to wait: RateLimit with r=0 gives t; else an integer or dated Retry-After.
    /// Null when neither says anything.
    /// </summary>
    public static TimeSpan? RetryDelay(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValues("RateLimit", out var values))
        {
            var rl = Parse(values.FirstOrDefault());
            if (rl is { Remaining: 0, ResetSeconds: { } t })
            {
                return TimeSpan.FromSeconds(t);
            }
        }

        var retryAfter = headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var d = date - now;
            return d < TimeSpan.Zero ? TimeSpan.Zero : d;
        }

        return null;
    }
}
