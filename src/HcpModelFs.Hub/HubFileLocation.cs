namespace HcpModelFs.Hub;

/// <summary>What the Hub's <c>HEAD /resolve</c> says about one file at a pinned commit.</summary>
/// <param name="Size">Content size (X-Linked-Size, or Content-Length of a direct answer).</param>
/// <param name="ETag">Normalised etag: the sha256 for LFS files, the git blob sha1 for regular files.</param>
/// <param name="CommitSha">X-Repo-Commit; always equals the pinned commit.</param>
/// <param name="IsLfs">The Hub redirected to a content store (X-Linked-Etag present).</param>
public sealed record HubFileLocation(long Size, string ETag, string CommitSha, bool IsLfs);
