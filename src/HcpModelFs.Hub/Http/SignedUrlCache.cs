using System.Collections.Concurrent;

namespace HcpModelFs.Hub.Http;

/// <summary>
/// Caches the resolved location (signed CDN URL or Hub URL) per (repo, commit, path) until shortly before it
/// expires. Bounded: when full it is simply cleared, since entries are cheap to re-resolve.
/// </summary>
internal sealed class SignedUrlCache(TimeProvider timeProvider, int capacity = 4096)
{
    private readonly ConcurrentDictionary<(string Repo, string Commit, string Path), FileLocation> _entries = new();

    public bool TryGet(HubRepoId repo, string commit, string path, out FileLocation location)
    {
        if (_entries.TryGetValue((repo.Value, commit, path), out location!)
            && timeProvider.GetUtcNow() < location.ReuseUntil)
        {
            return true;
        }

        location = null!;
        return false;
    }

    public void Set(HubRepoId repo, string commit, string path, FileLocation location)
    {
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        _entries[(repo.Value, commit, path)] = location;
    }

    /// <summary>Drops the entry if it is still the one the caller used (another reader may have refreshed it).</summary>
    public void Invalidate(HubRepoId repo, string commit, string path, FileLocation used) =>
        _entries.TryRemove(new KeyValuePair<(string, string, string), FileLocation>((repo.Value, commit, path), used));

    public int Count => _entries.Count;
}
