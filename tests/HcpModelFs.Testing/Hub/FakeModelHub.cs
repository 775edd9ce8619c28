using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HcpModelFs.Hub;

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// In-memory <see cref="IModelHub"/> over a <see cref="FakeHubCatalog"/>, with the access rules of the fake Hub
/// server mapped to the <see cref="HubErrorKind"/>s the HTTP client produces. Held honest by
/// <see cref="ModelHubContractTests"/>. Counts calls and can fail the next calls on demand.
/// </summary>
public sealed class FakeModelHub(FakeHubCatalog catalog, string? token = null) : IModelHub
{
    private readonly ConcurrentQueue<Exception> _failures = new();
    private int _resolveCalls;
    private int _listCalls;
    private int _resolveFileCalls;
    private int _readCalls;
    private long _bytesRead;

    public FakeHubCatalog Catalog { get; } = catalog;

    public int ResolveCalls => Volatile.Read(ref _resolveCalls);

    public int ListCalls => Volatile.Read(ref _listCalls);

    public int ResolveFileCalls => Volatile.Read(ref _resolveFileCalls);

    public int ReadCalls => Volatile.Read(ref _readCalls);

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>The next call (of any kind) throws <paramref name="failure"/>; queue several for several calls.</summary>
    public void EnqueueFailure(Exception failure) => _failures.Enqueue(failure);

    public Task<HubRevision> ResolveRevisionAsync(HubRepoId repo, string revision, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _resolveCalls);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowQueuedFailure();
        var r = Access(repo, download: false);
        var commit = r.ResolveRevision(revision)
            ?? throw new HubException(HubErrorKind.RevisionNotFound, $"Invalid rev id: {revision}", 404);
        return Task.FromResult(new HubRevision(
            HubRepoId.Parse(r.Id), revision, commit.Sha, r.Visibility == FakeRepoVisibility.Private,
            r.Visibility == FakeRepoVisibility.Gated ? r.GatedMode : null, r.Disabled, commit.Date));
    }

    public async IAsyncEnumerable<HubFile> ListFilesAsync(
        HubRepoId repo, string commitSha, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listCalls);
        RequireCommit(commitSha);
        ThrowQueuedFailure();
        var commit = Commit(Access(repo, download: false), commitSha);
        foreach (var f in commit.Files.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new HubFile(f.Path, f.Size, f.GitOid, f.IsLfs ? f.Sha256 : null);
        }

        await Task.CompletedTask;
    }

    public Task<HubFileLocation> ResolveFileAsync(
        HubRepoId repo, string commitSha, string path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _resolveFileCalls);
        cancellationToken.ThrowIfCancellationRequested();
        RequireCommit(commitSha);
        ThrowQueuedFailure();
        var file = File(repo, commitSha, path);
        return Task.FromResult(new HubFileLocation(file.Size, file.IsLfs ? file.Sha256 : file.GitOid, commitSha, file.IsLfs));
    }

    public ValueTask ReadRangeAsync(
        HubRepoId repo, string commitSha, string path, long offset, Memory<byte> destination,
        CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _readCalls);
        cancellationToken.ThrowIfCancellationRequested();
        RequireCommit(commitSha);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        ThrowQueuedFailure();
        var file = File(repo, commitSha, path);
        if (offset > file.Size - destination.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(offset), $"Range {offset}+{destination.Length} is past the end of {path} ({file.Size} bytes).");
        }

        file.Content.Fill(offset, destination.Span);
        Interlocked.Add(ref _bytesRead, destination.Length);
        return ValueTask.CompletedTask;
    }

    private static void RequireCommit(string commitSha)
    {
        if (commitSha is not { Length: 40 } || !commitSha.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("A pinned commit must be 40 lowercase hex characters.", nameof(commitSha));
        }
    }

    private void ThrowQueuedFailure()
    {
        if (_failures.TryDequeue(out var failure))
        {
            throw failure;
        }
    }

    private FakeHubFile File(HubRepoId repo, string commitSha, string path)
    {
        var commit = Commit(Access(repo, download: true), commitSha);
        return commit.Files.TryGetValue(path, out var file)
            ? file
            : throw new HubException(HubErrorKind.EntryNotFound, $"{path} does not exist on \"{commitSha}\"", 404);
    }

    private static FakeHubCommit Commit(FakeHubRepo repo, string commitSha) =>
        repo.Commits.TryGetValue(commitSha, out var commit)
            ? commit
            : throw new HubException(HubErrorKind.RevisionNotFound, $"Invalid rev id: {commitSha}", 404);

    private FakeHubRepo Access(HubRepoId id, bool download)
    {
        var repo = Catalog.Find(id.Value, out _);
        return Catalog.CheckAccess(repo, token, download) switch
        {
            FakeHubAccess.Allowed => repo!,
            FakeHubAccess.InvalidToken => throw new HubException(
                HubErrorKind.Unauthorized, "Invalid credentials in Authorization header", 401),
            FakeHubAccess.RepoNotFound => throw new HubException(
                HubErrorKind.RepoNotFound, "Repository not found", token is null ? 401 : 404),
            FakeHubAccess.Disabled => throw new HubException(
                HubErrorKind.Disabled, "Access to this resource is disabled.", 403),
            FakeHubAccess.GatedNoToken => throw new HubException(HubErrorKind.Gated, "Gated repo: log in", 401),
            _ => throw new HubException(HubErrorKind.Gated, "Gated repo: not in the authorized list", 403),
        };
    }
}
