using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.Import;

/// <summary>
/// What an import did: the commit written, its files and bytes, how many bytes were copied from the source in this
/// run (less than <see cref="Bytes"/> when an earlier run had finished some files), and whether the source honoured ranges.
/// </summary>
public sealed record ImportResult(
    string Org,
    string Model,
    string Commit,
    int Files,
    long Bytes,
    long CopiedBytes,
    int ResumedFiles,
    bool AlreadyImported,
    bool RangedReads)
{
    /// <summary>The manifest committed (or found committed).</summary>
    public required Manifest Manifest { get; init; }
}
