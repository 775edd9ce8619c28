using HcpModelFs.Store;

namespace HcpModelFs.Core.Import;

/// <summary>The folder to import: a store (another S3-compatible endpoint), a bucket's prefix in it, and how to name it.</summary>
public sealed record ImportSource(IObjectStore Store, string Bucket, string Prefix)
{
    /// <summary>The folder as the user wrote it, e.g. s3://bucket/models/x/.</summary>
    public string Url => $"s3://{Bucket}/{Prefix}";

    public string UrlOf(string key) => $"s3://{Bucket}/{key}";

    /// <summary>Parses s3://BUCKET[/PREFIX]; the prefix gets a trailing '/' so "a/b" never matches "a/bc".</summary>
    public static bool TryParseUrl(string text, out string bucket, out string prefix, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        bucket = prefix = string.Empty;
        error = $"'{text}' is not s3://BUCKET/PREFIX";
        const string Scheme = "s3://";
        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        bucket = slash < 0 ? rest : rest[..slash];
        prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].TrimStart('/');
        if (!IsBucketName(bucket))
        {
            error = $"'{text}': '{bucket}' is not a bucket name (3-63 of a-z 0-9 . - _)";
            return false;
        }

        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        return true;
    }

    // S3's rules plus '_' (HCP namespaces and old buckets allow it).
    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) &&
        name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_');
}
