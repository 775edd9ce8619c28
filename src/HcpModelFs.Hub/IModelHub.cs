namespace HcpModelFs.Hub;

/// <summary>
/// Read access to model repos on a Hugging Face Hub. Resolve a revision once, then pin every other call on the
/// returned commit sha: listings and bytes are then immutable and safe to cache.
/// Failures are <see cref="HubException"/>s with a <see cref="HubErrorKind"/>; transient ones have already been
/// retried by the implementation when they surface.
/// </summary>
public interface IModelHub
{
    /// <summary>Resolves a branch, tag, <c>HEAD</c> or 40-hex sha to a commit, with the repo's access flags.</summary>
    Task<HubRevision> ResolveRevisionAsync(HubRepoId repo, string revision, CancellationToken cancellationToken);

    /// <summary>Lists every file (not folders) of a commit, recursively, following pagination.</summary>
    IAsyncEnumerable<HubFile> ListFilesAsync(HubRepoId repo, string commitSha, CancellationToken cancellationToken);

    /// <summary>Size, etag and commit of one file, as the Hub's resolve endpoint reports them.</summary>
    Task<HubFileLocation> ResolveFileAsync(
        HubRepoId repo, string commitSha, string path, CancellationToken cancellationToken);

    /// <summary>
    /// Reads exactly <c>destination.Length</c> bytes of <paramref name="path"/> starting at <paramref name="offset"/>
    /// into <paramref name="destination"/>, or throws. Never returns short. A range past the end of the file throws
    /// <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    ValueTask ReadRangeAsync(
        HubRepoId repo,
        string commitSha,
        string path,
        long offset,
        Memory<byte> destination,
        CancellationToken cancellationToken);
}
