using System.Collections.Concurrent;

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// Repos and tokens shared by <see cref="FakeHubServer"/> (HTTP) and <see cref="FakeModelHub"/> (in memory), so the
/// same contract tests run against both with the same data and the same access rules.
/// </summary>
public sealed class FakeHubCatalog
{
    private readonly ConcurrentDictionary<string, FakeHubRepo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeHubFile> _bySha256 = new(StringComparer.Ordinal);

    /// <summary>Tokens the Hub knows (any other token gets 401 "Invalid credentials"). Must start with hf_.</summary>
    public ISet<string> Tokens { get; } = new HashSet<string>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, FakeHubRepo> Repos => _repos;

    public FakeHubRepo AddRepo(
        string id, IEnumerable<FakeHubFile> files, FakeRepoVisibility visibility = FakeRepoVisibility.Public)
    {
        var repo = new FakeHubRepo(id) { Visibility = visibility };
        repo.AddRevision(repo.DefaultBranch, files);
        if (!_repos.TryAdd(id, repo))
        {
            throw new InvalidOperationException($"Repo {id} already exists.");
        }

        return repo;
    }

    /// <summary>Finds a repo by id or by a former id; <paramref name="renamed"/> tells which.</summary>
    public FakeHubRepo? Find(string id, out bool renamed)
    {
        renamed = false;
        if (_repos.TryGetValue(id, out var repo))
        {
            return repo;
        }

        foreach (var r in _repos.Values)
        {
            if (r.RenamedFrom.Contains(id))
            {
                renamed = true;
                return r;
            }
        }

        return null;
    }

    /// <summary>Access of <paramref name="token"/> (null = anonymous) to a repo; downloads also check gating.</summary>
    public FakeHubAccess CheckAccess(FakeHubRepo? repo, string? token, bool download)
    {
        if (token is not null && !Tokens.Contains(token))
        {
            return FakeHubAccess.InvalidToken;
        }

        if (repo is null)
        {
            return FakeHubAccess.RepoNotFound;
        }

        if (repo.Disabled)
        {
            return token is null ? FakeHubAccess.RepoNotFound : FakeHubAccess.Disabled;
        }

        if (repo.Visibility == FakeRepoVisibility.Private && (token is null || !repo.AllowedTokens.Contains(token)))
        {
            return FakeHubAccess.RepoNotFound;
        }

        if (download && repo.Visibility == FakeRepoVisibility.Gated)
        {
            if (token is null)
            {
                return FakeHubAccess.GatedNoToken;
            }

            if (!repo.AllowedTokens.Contains(token))
            {
                return FakeHubAccess.GatedNotApproved;
            }
        }

        return FakeHubAccess.Allowed;
    }

    /// <summary>Makes an LFS file reachable by its sha256 (the CDN looks content up by hash).</summary>
    internal void Publish(FakeHubFile file) => _bySha256.TryAdd(file.Sha256, file);

    internal FakeHubFile? FindBySha256(string sha256) => _bySha256.GetValueOrDefault(sha256);
}
