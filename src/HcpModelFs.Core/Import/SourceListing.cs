using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.Import;

/// <summary>
/// The files to import: every object under the source prefix that the filter keeps, in path order. Folder markers
/// ("a/") are skipped; a name the model layout cannot hold fails the import before anything is written.
/// </summary>
public static class SourceListing
{
    public static async Task<IReadOnlyList<SourceFile>> ListAsync(ImportSource source, Func<string, bool> include, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(include);
        var files = new List<SourceFile>();
        await foreach (var entry in source.Store.ListAsync(source.Prefix, null, cancellationToken))
        {
            var path = entry.Key[source.Prefix.Length..];
            if (entry.IsPrefix || path.Length == 0 || path.EndsWith('/') || !include(path))
            {
                continue;
            }

            if (!RelativePath.IsValid(path) || path.StartsWith(StoreLayout.MetaFolder + "/", StringComparison.Ordinal))
            {
                throw new ArgumentException($"{source.UrlOf(entry.Key)}: not a valid path inside a model (skip it with --exclude)");
            }

            files.Add(new SourceFile(path, entry.Key, entry.Size, entry.ETag));
        }

        files.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return files;
    }
}
