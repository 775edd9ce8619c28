namespace HcpModelFs.Core.Cache;

/// <summary>
/// Blocks just fetched, kept in memory so the readers they were fetched for — and the sequential reads right behind
/// them — are served without reading the cache file back (which would fill the page cache with bytes the kernel
/// already holds in the mount's own cache). Bounded in bytes; the oldest published block leaves first.
/// </summary>
internal sealed class ResidentBlocks(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly Queue<(CachedObject Owner, long Block, BlockBuffer Buffer)> _order = new();
    private long _bytes;

    /// <summary>Makes <paramref name="buffer"/> the resident copy of the block (taking a reference of its own).</summary>
    public void Publish(CachedObject owner, long block, BlockBuffer buffer)
    {
        if (maxBytes <= 0 || !buffer.TryRetain())
        {
            return;
        }

        if (!owner.SetResident(block, buffer))
        {
            buffer.Release();
            return;
        }

        List<(CachedObject Owner, long Block, BlockBuffer Buffer)>? leaving = null;
        lock (_lock)
        {
            _order.Enqueue((owner, block, buffer));
            _bytes += buffer.Length;
            while (_bytes > maxBytes && _order.Count > 0)
            {
                var oldest = _order.Dequeue();
                _bytes -= oldest.Buffer.Length;
                (leaving ??= []).Add(oldest);
            }
        }

        foreach (var (o, b, buf) in leaving ?? [])
        {
            // Already gone if the block was dropped meanwhile (whoever cleared the slot released it).
            if (o.ClearResident(b, buf))
            {
                buf.Release();
            }
        }
    }
}
