using System.Globalization;

namespace HcpModelFs.Testing.Store;

/// <summary>What <see cref="StoreConsistency.CheckAsync"/> found: the revisions (manifests) read, their bytes hashed, the problems.</summary>
public sealed record StoreConsistencyReport(IReadOnlyList<StoreRevision> Revisions, long BytesVerified, IReadOnlyList<string> Problems)
{
    public bool IsConsistent => Problems.Count == 0;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Revisions.Count} manifests, {BytesVerified} bytes hashed, {Problems.Count} problems")
        + string.Concat(Problems.Select(p => "\n  " + p));
}

/// <summary>One manifest the checker read: its key and the files it names.</summary>
public sealed record StoreRevision(string ManifestKey, IReadOnlyList<StoreRevisionFile> Files);

/// <summary>A file named by a manifest.</summary>
public sealed record StoreRevisionFile(string Path, long Size, string Sha256);
