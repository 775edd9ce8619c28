namespace HcpModelFs.Testing.Hub;

/// <summary>One commit of a fake repo: an immutable set of files.</summary>
public sealed class FakeHubCommit(string sha, IReadOnlyDictionary<string, FakeHubFile> files, DateTimeOffset date)
{
    public string Sha { get; } = sha;

    /// <summary>Files by path, ordinal order.</summary>
    public IReadOnlyDictionary<string, FakeHubFile> Files { get; } = files;

    public DateTimeOffset Date { get; } = date;

    /// <summary>All folder paths implied by the file paths (no leading or trailing '/').</summary>
    public IReadOnlySet<string> Directories { get; } = files.Keys
        .SelectMany(p =>
        {
            var parts = p.Split('/');
            return Enumerable.Range(1, parts.Length - 1).Select(n => string.Join('/', parts.Take(n)));
        })
        .ToHashSet(StringComparer.Ordinal);
}
