namespace HcpModelFs.Core.Catalog;

/// <summary>A directory inside a revision, with its children sorted by name (byte order) for stable readdir cookies.</summary>
public sealed class RevisionDirectory
{
    public RevisionDirectory(string path) => Path = path;

    /// <summary>Relative to the revision root; empty for the root.</summary>
    public string Path { get; }

    public SortedDictionary<string, RevisionDirectory> Directories { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, RevisionFile> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Children in listing order: names of directories and files merged in ordinal order.</summary>
    public IReadOnlyList<string> Names => _names ??= Directories.Keys.Concat(Files.Keys).Order(StringComparer.Ordinal).ToArray();

    private string[]? _names;
}
