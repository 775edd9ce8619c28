using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Ingest;

/*
 * Ingest leases (design.md §3): <prefix><org>/<model>/.hcpmodelfs/leases/<sha>/<seq>, each key created exclusively
 * (If-None-Match: * or HCP's 409, as the store layer detected). The newest seq is the lease; its holder renews it by
 * creating the next seq, and a successor takes over the same way once it has expired. Correctness never depends on the
 * lease (file objects have fixed content, the manifest is the only commit point); it only stops every node from
 * uploading the same model at once.
 *
 * Expiry: a node counts a lease as expired once it has watched the same seq unchanged for the TTL on its own monotonic
 * clock, so clock skew between nodes and the store cannot make a live lease look dead. A lease whose Last-Modified is
 * more than two TTLs old on first sight was abandoned long ago and is taken at once. A node always takes back a lease
 * it wrote itself (a restarted daemon: same host and cache directory), since it knows that holder is gone.
 */
internal sealed class LeaseManager
{
    private readonly IObjectStore _store;
    private readonly StoreLayout _layout;
    private readonly IngestOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (long Sequence, long SeenAt)> _observed = new(StringComparer.Ordinal);

    public LeaseManager(IObjectStore store, StoreLayout layout, IngestOptions options, TimeProvider time)
    {
        _store = store;
        _layout = layout;
        _options = options;
        _time = time;
    }

    public async Task<IngestLease?> TryAcquireAsync(string org, string model, string commit, CancellationToken cancellationToken)
    {
        await StoreCapabilityCheck.EnsureDetectedAsync(_store, _layout, cancellationToken);
        var prefix = _layout.LeasePrefix(org, model, commit);
        ListEntry? newest = null;
        long newestSequence = 0;
        await foreach (var entry in _store.ListAsync(prefix, "/", cancellationToken))
        {
            if (!entry.IsPrefix && TryParseSequence(entry.Key.AsSpan(prefix.Length), out var sequence) && sequence > newestSequence)
            {
                newest = entry;
                newestSequence = sequence;
            }
        }

        if (newest is not null && await ReadOwnerAsync(newest, cancellationToken) != _options.NodeId && !HasExpired(prefix, newestSequence, newest.LastModified))
        {
            return null;
        }

        var lease = new IngestLease(this, prefix, newestSequence);
        return await lease.TryAdvanceAsync(cancellationToken) ? lease : null;
    }

    internal Task<bool> CreateAsync(string prefix, long sequence, CancellationToken cancellationToken)
    {
        var content = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["node"] = _options.NodeId,
            ["pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            ["created"] = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        });
        return _store.CreateExclusiveAsync(prefix + sequence.ToString("D10", CultureInfo.InvariantCulture), content, cancellationToken);
    }

    internal async Task DeleteAllAsync(string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var entry in _store.ListAsync(prefix, "/", cancellationToken))
        {
            if (!entry.IsPrefix)
            {
                keys.Add(entry.Key);
            }
        }

        foreach (var key in keys)
        {
            await _store.DeleteAsync(key, cancellationToken);
        }
    }

    private bool HasExpired(string prefix, long sequence, DateTimeOffset lastModified)
    {
        var now = _time.GetTimestamp();
        var seen = _observed.AddOrUpdate(prefix, (sequence, now), (_, old) => old.Sequence == sequence ? old : (sequence, now));
        return _time.GetElapsedTime(seen.SeenAt) >= _options.LeaseTtl || lastModified + (2 * _options.LeaseTtl) < _time.GetUtcNow();
    }

    private async Task<string?> ReadOwnerAsync(ListEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Size is <= 0 or > 4096)
        {
            return null;
        }

        var buffer = new byte[entry.Size];
        try
        {
            await _store.ReadRangeAsync(entry.Key, 0, buffer, null, cancellationToken);
            using var json = JsonDocument.Parse(buffer);
            return json.RootElement.TryGetProperty("node", out var node) ? node.GetString() : null;
        }
        catch (StoreException ex) when (ex.Kind == StoreErrorKind.NotFound)
        {
            return null; // Deleted after a commit: whoever reads on finds the manifest.
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryParseSequence(ReadOnlySpan<char> name, out long sequence) =>
        long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
}

/// <summary>A held lease: renewing creates the next sequence number; failing to create it means another node took over.</summary>
internal sealed class IngestLease
{
    private readonly LeaseManager _manager;
    private readonly string _prefix;

    internal IngestLease(LeaseManager manager, string prefix, long sequence)
    {
        _manager = manager;
        _prefix = prefix;
        Sequence = sequence;
    }

    public long Sequence { get; private set; }

    /// <summary>Creates the next sequence number: true = the lease is (still) ours.</summary>
    public async Task<bool> TryAdvanceAsync(CancellationToken cancellationToken)
    {
        if (!await _manager.CreateAsync(_prefix, Sequence + 1, cancellationToken))
        {
            return false;
        }

        Sequence++;
        return true;
    }

    /// <summary>After the commit the lease keys are garbage; a store that refuses deletes just keeps them.</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken) => _manager.DeleteAllAsync(_prefix, cancellationToken);
}
