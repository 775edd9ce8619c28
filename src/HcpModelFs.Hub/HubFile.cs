namespace HcpModelFs.Hub;

/// <summary>One file of a commit, as listed by the tree API.</summary>
/// <param name="Path">Full path from the repo root, '/'-separated, UTF-8 as given by the Hub.</param>
/// <param name="Size">Real content size in bytes (for LFS files the size of the content, not of the pointer).</param>
/// <param name="GitOid">Git blob sha1 (for LFS files: of the pointer blob).</param>
/// <param name="LfsSha256">SHA-256 of the content for LFS files, null for regular git files.</param>
public sealed record HubFile(string Path, long Size, string GitOid, string? LfsSha256)
{
    public bool IsLfs => LfsSha256 is not null;
}
