using System.Globalization;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// Reads the expiry of a pre-signed URL from its query: <c>exp=</c> (our fake Hub, unix seconds), <c>Expires=</c>
/// (CloudFront, unix seconds), or <c>X-Amz-Date</c> + <c>X-Amz-Expires</c> (S3 SigV4, as on the Xet bridge).
/// </summary>
internal static class SignedUrlExpiry
{
    public static DateTimeOffset? Parse(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || string.IsNullOrEmpty(uri.Query))
        {
            return null;
        }

        string? exp = null;
        string? amzDate = null;
        string? amzExpires = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = Uri.UnescapeDataString(pair[..eq]);
            var value = Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (key.Equals("exp", StringComparison.OrdinalIgnoreCase)
                || key.Equals("Expires", StringComparison.OrdinalIgnoreCase))
            {
                exp = value;
            }
            else if (key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase))
            {
                amzDate = value;
            }
            else if (key.Equals("X-Amz-Expires", StringComparison.OrdinalIgnoreCase))
            {
                amzExpires = value;
            }
        }

        if (exp is not null && long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
        {
            return DateTimeOffset.FromUnixTimeSeconds(unix);
        }

        if (amzDate is not null && amzExpires is not null
            && DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt)
            && long.TryParse(amzExpires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return signedAt.AddSeconds(seconds);
        }

        return null;
    }
}
