using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

// Git object ids and the fake's commit/object ids are SHA-1 by definition, not for security.
#pragma warning disable CA5350

namespace HcpModelFs.Testing.Hub;

/// <summary>A model repo of the fake Hub: revisions (branches, tags) pointing at commits, and access rules.</summary>
public sealed class FakeHubRepo
{
    private readonly ConcurrentDictionary<string, FakeHubCommit> _commits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _branches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tags = new(StringComparer.Ordinal);

    internal FakeHubRepo(string id)
    {
        Id = id;
        ObjectId = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("repo:" + id)))[..24];
    }

    /// <summary>Canonical id (<c>ns/name</c> or a legacy one-segment name).</summary>
    public string Id { get; }

    /// <summary>The 24-hex <c>_id</c>.</summary>
    public string ObjectId { get; }

    public FakeRepoVisibility Visibility { get; set; } = FakeRepoVisibility.Public;

    /// <summary>"auto" or "manual" when gated.</summary>
    public string GatedMode { get; set; } = "auto";

    public bool Disabled { get; set; }

    /// <summary>Tokens that may read a private repo or are approved for a gated one.</summary>
    public ISet<string> AllowedTokens { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Old ids that redirect here (renames, legacy ids).</summary>
    public ISet<string> RenamedFrom { get; } = new HashSet<string>(StringComparer.Ordinal);

    public string DefaultBranch { get; set; } = "main";

    /// <summary>Mode for regular files without their own; Direct or ResolveCache.</summary>
    public FakeResolveMode RegularFileMode { get; set; } = FakeResolveMode.Direct;

    /// <summary>Mode for LFS files without their own; Redirect or Direct (olah-style).</summary>
    public FakeResolveMode LfsFileMode { get; set; } = FakeResolveMode.Redirect;

    public IReadOnlyDictionary<string, string> Branches => _branches;

    public IReadOnlyDictionary<string, string> Tags => _tags;

    public IReadOnlyDictionary<string, FakeHubCommit> Commits => _commits;

    /// <summary>The commit of the default branch.</summary>
    public FakeHubCommit Head => _commits[_branches[DefaultBranch]];

    /// <summary>Creates a commit with <paramref name="files"/> and points branch (or tag) <paramref name="name"/> at it.</summary>
    public FakeHubCommit AddRevision(string name, IEnumerable<FakeHubFile> files, bool isTag = false)
    {
        var map = new SortedDictionary<string, FakeHubFile>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            map.Add(f.Path, f);
        }

        var seed = new StringBuilder(Id).Append('\n').Append(name).Append('\n');
        foreach (var f in map.Values)
        {
            seed.Append(f.Path).Append(' ').Append(f.Size).Append(' ').Append(f.IsLfs).Append('\n');
        }

        var sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(seed.ToString())));
        var commit = new FakeHubCommit(sha, map,
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(_commits.Count));
        _commits[sha] = commit;
        (isTag ? _tags : _branches)[name] = sha;
        return commit;
    }

    /// <summary>HEAD = default branch; a 40-hex sha of a commit; else a branch or tag name.</summary>
    public FakeHubCommit? ResolveRevision(string revision)
    {
        if (revision == "HEAD")
        {
            revision = DefaultBranch;
        }

        if (revision.Length == 40 && _commits.TryGetValue(revision.ToLowerInvariant(), out var bySha))
        {
            return bySha;
        }

        return _branches.TryGetValue(revision, out var b) ? _commits[b]
            : _tags.TryGetValue(revision, out var t) ? _commits[t]
            : null;
    }
}
