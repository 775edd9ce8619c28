namespace HcpModelFs.Core.Catalog;

/// <summary>
/// The commit point of a managed revision: every file with its size, sha256 and store ETag. Its presence in the store
/// means the revision is complete; listings and stat come from it (no LIST per ls -l).
/// </summary>
public sealed record Manifest
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Org { get; init; }

    public required string Model { get; init; }

    /// <summary>The Hub commit (40 hex), or a content hash for models published from a local folder.</summary>
    public required string Commit { get; init; }

    /// <summary>The revision name this commit was resolved from (e.g. main), for humans.</summary>
    public string? Revision { get; init; }

    public DateTimeOffset IngestedAt { get; init; }

    /// <summary>"hub" or "upload".</summary>
    public string Source { get; init; } = "upload";

    public required IReadOnlyList<ManifestFile> Files { get; init; }
}
