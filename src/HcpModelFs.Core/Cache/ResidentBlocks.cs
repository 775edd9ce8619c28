namespace HcpModelFs.Core.Cache;

/// <summary>
/// Blocks just fetched, kept in memory so the readers they were fetched for — and the sequential reads right behind
/// them — are served without reading the cache file back (which would fill the page cache with bytes the kernel
/// already holds in the mount's own cache). Bounded in bytes together with the fetches in flight.
/// </summary>
/// <remarks>
/// What leaves first when room is needed: blocks already read once (oldest first), then the newest ones — with a
/// sequential reader behind a prefetch that runs ahead, the newest block is the one needed last, and it is on disk.
/// </remarks>
internal sealed class ResidentBlocks(long maxBytes)
{
    private readonly Lock _lock = new();
    private readonly List<(CachedObject Owner, long Block, BlockBuffer Buffer)> _blocks = [];
    private long _bytes;

    /// <summary>Bytes of the blocks resident now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

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

        lock (_lock)
        {
            _blocks.Add((owner, block, buffer));
            Interlocked.Add(ref _bytes, buffer.Length);
        }

        Trim(0);
    }

    /// <summary>
    /// Lets resident blocks go until they and <paramref name="otherBytes"/> (buffers of fetches in flight) fit the
    /// budget together: one bound for all block memory, so RSS stays flat however many fetches run.
    /// </summary>
    public void Trim(long otherBytes)
    {
        List<(CachedObject Owner, long Block, BlockBuffer Buffer)>? leaving = null;
        lock (_lock)
        {
            for (var i = 0; i < _blocks.Count && _bytes + otherBytes > maxBytes;)
            {
                if (_blocks[i].Buffer.FullyServed)
                {
                    Take(i, ref leaving);
                }
                else
                {
                    i++;
                }
            }

            while (_bytes + otherBytes > maxBytes && _blocks.Count > 0)
            {
                Take(_blocks.Count - 1, ref leaving);
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

    private void Take(int index, ref List<(CachedObject Owner, long Block, BlockBuffer Buffer)>? leaving)
    {
        var item = _blocks[index];
        _blocks.RemoveAt(index);
        Interlocked.Add(ref _bytes, -item.Buffer.Length);
        (leaving ??= []).Add(item);
    }
}
