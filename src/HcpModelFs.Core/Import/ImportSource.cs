using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Import;

/// <summary>The folder to import: a store (another S3-compatible endpoint), a bucket's prefix in it, and how to name it.</summary>
public sealed record ImportSource(IObjectStore Store, string Bucket, string Prefix) : ModelSource
{
    /// <summary>The folder as the user wrote it, e.g. s3://bucket/models/x/.</summary>
    public override string Url => $"s3://{Bucket}/{Prefix}";

    public override string Kind => "import";

    public string UrlOf(string key) => $"s3://{Bucket}/{key}";

    public override string UrlOf(SourceFile file) => UrlOf(file?.Key ?? throw new ArgumentNullException(nameof(file)));

    public override Task<IReadOnlyList<SourceFile>> ListAsync(Func<string, bool> include, CancellationToken cancellationToken) =>
        SourceListing.ListAsync(this, include, cancellationToken);

    /// <summary>Ranged GETs pinned to each listed ETag where the store honours Range; else one streamed GET per file.</summary>
    internal override async Task<SourceReader> OpenAsync(IReadOnlyList<SourceFile> files, ImportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var ranged = await RangeProbe.SupportsRangesAsync(this, files, logger, cancellationToken);
        if (ranged)
        {
            return new SourceReader(true, file => new RangedPartSource(Store, file.Key, file.ETag, UrlOf(file)));
        }

        var streams = Store as IObjectStreamReader
            ?? throw new ImportFailedException($"{Url} refuses ranged reads and its store has no streamed reads");
        return new SourceReader(false, file => new StreamedPartSource(streams, file, UrlOf(file), options.StreamPartTimeout));
    }

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
