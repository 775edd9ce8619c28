using HcpModelFs.Hub;

namespace HcpModelFs.Core.Catalog;

/// <summary>
/// Where a revision the store does not have yet comes from: a Hub repo at a pinned commit. <paramref name="RefName"/>
/// is the ref to pin when the ingest commits (HEAD for the default revision, the branch or tag asked for), or null when
/// the revision was named by commit sha.
/// </summary>
public sealed record HubOrigin(HubRepoId Repo, string? RefName, IReadOnlyDictionary<string, HubFile> Files);
