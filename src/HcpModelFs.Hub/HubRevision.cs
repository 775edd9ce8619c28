namespace HcpModelFs.Hub;

/// <summary>A revision resolved to a commit, with the repo's access flags at that time.</summary>
/// <param name="Repo">The canonical repo id reported by the Hub (differs from the requested id after a rename).</param>
/// <param name="Revision">The revision that was asked for (branch, tag, HEAD or sha).</param>
/// <param name="CommitSha">The 40-hex commit the revision points to; pin everything else on it.</param>
/// <param name="IsPrivate">The repo is private.</param>
/// <param name="Gated">Null when not gated, else the Hub's mode ("auto" or "manual").</param>
/// <param name="IsDisabled">The repo is disabled.</param>
/// <param name="LastModified">Date of the last commit, when reported.</param>
public sealed record HubRevision(
    HubRepoId Repo,
    string Revision,
    string CommitSha,
    bool IsPrivate,
    string? Gated,
    bool IsDisabled,
    DateTimeOffset? LastModified)
{
    public bool IsGated => Gated is not null;
}
