namespace HcpModelFs.Core.Catalog;

/// <summary>
/// Whether a manifest read from the store may be served: it names the key it was read from, and its files form a tree
/// the filesystem can show without surprise (every field present, safe relative paths, no size below 0, no path twice,
/// no path that is both a file and a directory, nothing inside our own metadata folder). The store is trusted to hold
/// what we wrote, not to be free of other writers' mistakes.
/// </summary>
public static class ManifestValidator
{
    /// <summary>Why <paramref name="manifest"/> must not be served for org/model/commit, or null when it may be.</summary>
    public static string? Problem(Manifest? manifest, string org, string model, string commit)
    {
        if (manifest is null)
        {
            return "empty";
        }

        if (manifest.Org != org || manifest.Model != model || manifest.Commit != commit)
        {
            return "its org, model or commit does not match the key";
        }

        // Deserialised from untrusted JSON: "required" and non-nullable say what we write, not what was written.
        if (manifest.Files is null)
        {
            return "no file list";
        }

        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            if (file is null || file.Path is null || file.Sha256 is null || file.ETag is null)
            {
                return "a file entry without path, sha256 or eTag";
            }

            if (!RelativePath.IsValid(file.Path) || file.Path.StartsWith(StoreLayout.MetaFolder + "/", StringComparison.Ordinal))
            {
                return "a path is not a safe relative path";
            }

            if (file.Size < 0)
            {
                return $"{file.Path} has a negative size";
            }

            if (!files.Add(file.Path))
            {
                return $"{file.Path} is listed twice";
            }
        }

        foreach (var path in files)
        {
            for (var cut = path.IndexOf('/', StringComparison.Ordinal); cut > 0; cut = path.IndexOf('/', cut + 1))
            {
                if (files.Contains(path[..cut]))
                {
                    return $"{path[..cut]} is both a file and a directory";
                }
            }
        }

        return null;
    }
}
