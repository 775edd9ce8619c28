using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace HcpModelFs.Core.Catalog;

/*
 * Answers of slow lookups (store listings, Hub metadata) with a TTL each, misses included, and single flight:
 * concurrent misses of one key share one load. The MemoryCache bounds memory; freshness is checked against our own
 * clock (each entry carries its expiry), so TTLs are exact under a test's manual clock.
 */
internal sealed class CachedLookups : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 1_000_000 });
    private readonly ConcurrentDictionary<string, Task<object?>> _inFlight = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public CachedLookups(TimeProvider time) => _time = time;

    public async Task<object?> GetAsync(string key, Func<CancellationToken, Task<(object? Value, TimeSpan Ttl, long Size)>> load, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(key, out Entry? cached) && cached!.ExpiresAt > _time.GetUtcNow())
        {
            return cached.Value;
        }

        // The load starts only after its task is in the map, so its removal can never run first and leave a stale,
        // completed task behind (which would serve an expired answer for ever).
        var mine = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd(key, mine.Task);
        if (shared == mine.Task)
        {
            // A load that finished between the miss above and GetOrAdd has cached its answer before leaving the map
            // (LoadAsync sets, then removes): look again, or eight concurrent `ls` would list an organisation twice.
            if (_cache.TryGetValue(key, out cached) && cached!.ExpiresAt > _time.GetUtcNow())
            {
                _inFlight.TryRemove(new KeyValuePair<string, Task<object?>>(key, mine.Task));
                mine.SetResult(cached.Value);
                return cached.Value;
            }

            _ = LoadAsync(key, load, mine);
        }

        return await shared.WaitAsync(cancellationToken);
    }

    /// <summary>The cached answer for <paramref name="key"/> if there is one and it is fresh; never loads.</summary>
    public bool TryGetFresh(string key, out object? value)
    {
        if (_cache.TryGetValue(key, out Entry? cached) && cached!.ExpiresAt > _time.GetUtcNow())
        {
            value = cached.Value;
            return true;
        }

        value = null;
        return false;
    }

    public void Remove(string key) => _cache.Remove(key);

    public void RemoveWhere(Func<string, bool> predicate)
    {
        foreach (var key in _cache.Keys)
        {
            if (key is string text && predicate(text))
            {
                _cache.Remove(key);
            }
        }
    }

    public void Dispose() => _cache.Dispose();

    private async Task LoadAsync(string key, Func<CancellationToken, Task<(object? Value, TimeSpan Ttl, long Size)>> load, TaskCompletionSource<object?> completion)
    {
        try
        {
            // The shared load is not cancelled by one caller giving up: others may still wait for it.
            var (value, ttl, size) = await load(CancellationToken.None);
            _cache.Set(key, new Entry(value, _time.GetUtcNow() + ttl), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = size });
            _inFlight.TryRemove(new KeyValuePair<string, Task<object?>>(key, completion.Task));
            completion.SetResult(value);
        }
        catch (Exception ex)
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<object?>>(key, completion.Task));
            completion.SetException(ex);
        }
    }

    /// <summary>A cached answer (null = there is no such thing) and when it stops being fresh.</summary>
    private sealed record Entry(object? Value, DateTimeOffset ExpiresAt);
}
