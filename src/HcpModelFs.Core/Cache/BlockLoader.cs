using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// The single-flight work behind a missing or unchecked block: check a block on disk against its recorded CRC, or
/// fetch it from its source, check it against the manifest's CRC, commit it (data, slot, then the bits: visibility
/// last) and keep it in memory for the readers right behind it.
/// </summary>
internal sealed class BlockLoader(
    int blockSize,
    CacheLedger ledger,
    CacheDirectory files,
    CacheCounters counters,
    BackgroundWork background,
    BlockBufferPool blocks,
    ResidentBlocks resident,
    WholeFileVerifier verifier,
    SemaphoreSlim? fetchLimiter,
    ILogger logger,
    CancellationToken shutdown)
{
    private const int FetchAttempts = 2;
    private readonly int _blockSize = blockSize;
    private readonly CacheLedger _ledger = ledger;
    private readonly CacheDirectory _files = files;
    private readonly CacheCounters _counters = counters;
    private readonly BackgroundWork _background = background;
    private readonly BlockBufferPool _blocks = blocks;
    private readonly ResidentBlocks _resident = resident;
    private readonly WholeFileVerifier _verifier = verifier;
    private readonly SemaphoreSlim? _fetchLimiter = fetchLimiter;
    private readonly CancellationToken _shutdown = shutdown;
    private readonly ILogger _logger = logger;

    /// <summary>
    /// The single-flight work for one block: check a present block's CRC (first read in this process), or fetch it
    /// from the source and commit it. Holds its own lease on the entry because it may outlive the readers.
    /// </summary>
    public async Task LoadAsync(
        CacheEntry entry, CachedObject data, CacheObjectId id, long block, IBlockSource source, bool verify, CancellationToken cancellationToken)
    {
        _ledger.Hold(entry);
        try
        {
            if (data.IsReadable(block) || (!verify && data.Present.Get(block)))
            {
                return;
            }

            var length = BlockLength(id.Size, block);
            if (data.Present.Get(block) && CheckPresentBlock(entry, data, block, length))
            {
                return;
            }

            // Shutdown cancels fetches too, so Dispose can wait for them before closing the files.
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown);
            await source.WhenReadyAsync(id, block * _blockSize, linked.Token);
            var buffer = RentBlock(length);
            try
            {
                var crc = await FetchAsync(data, id, block, source, buffer.Memory, linked.Token);
                if (StoreBlock(entry, data, block, buffer, crc))
                {
                    _resident.Publish(data, block, buffer);
                }
            }
            finally
            {
                buffer.Release();
            }
        }
        finally
        {
            if (block == 0)
            {
                data.CloseFirstBytes();
            }

            _ledger.Release(entry);
        }
    }

    /// <summary>
    /// Reads a block from the source and returns its CRC32C, checked against the manifest's when there is one: a
    /// mismatch is fetched once more (a torn transfer), then fails the read. Nothing wrong is ever committed.
    /// </summary>
    private async Task<uint> FetchAsync(
        CachedObject data, CacheObjectId id, long block, IBlockSource source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (_fetchLimiter is not null)
            {
                await _fetchLimiter.WaitAsync(cancellationToken);
            }

            try
            {
                Interlocked.Increment(ref _counters.Fetches);
                if (block == 0 && attempt == 1 && data.Head is { } head)
                {
                    await ReceiveWithHeadAsync(data, id, source, buffer, head, cancellationToken);
                }
                else
                {
                    await source.ReadAsync(id, block * _blockSize, buffer, cancellationToken);
                }
            }
            finally
            {
                _fetchLimiter?.Release();
            }

            var crc = Crc32C.Compute(buffer.Span);
            if (data.Expected is not { } expected || expected[block] == crc)
            {
                return crc;
            }

            Interlocked.Increment(ref _counters.CorruptBlocks);
            _logger.FetchedBlockMismatch(id.Key, id.ETag, block, expected[block], crc, attempt);
            if (attempt == FetchAttempts)
            {
                throw new IOException($"Block {block} of {id.Key} does not match the checksum recorded when it was stored.");
            }
        }
    }

    /// <summary>
    /// Block 0 of an object whose manifest has a head CRC, as two GETs at once: the head, published to the readers
    /// waiting for it as soon as it matches, and the rest. Every byte is still fetched once, and the whole block is
    /// then checked against its own CRC as any other (a head that did not match fails that check too: refetched whole).
    /// </summary>
    private static async Task ReceiveWithHeadAsync(
        CachedObject data, CacheObjectId id, IBlockSource source, Memory<byte> buffer, (int Size, uint Crc) head, CancellationToken cancellationToken)
    {
        var slot = data.FirstBytes();
        var bytes = GC.AllocateUninitializedArray<byte>(head.Size);
        // The head is asked first, so it takes the connection already open; the rest may wait for a new one.
        var first = source.ReadAsync(id, 0, bytes, cancellationToken).AsTask();
        var rest = source.ReadAsync(id, head.Size, buffer[head.Size..], cancellationToken).AsTask();
        try
        {
            await first;
        }
        catch
        {
            // The rest's GET writes into the block buffer: it must have stopped before the buffer goes back to the pool.
            await rest.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        if (Crc32C.Compute(bytes) == head.Crc)
        {
            slot.Publish(bytes);
        }

        await rest;
        bytes.CopyTo(buffer);
    }

    /// <summary>
    /// Reads a present block back and checks its CRC; on mismatch drops it and returns false. The block read is kept
    /// in memory for the readers that asked for it (a restart's first pass over a cached file).
    /// </summary>
    private bool CheckPresentBlock(CacheEntry entry, CachedObject data, long block, int length)
    {
        Interlocked.Increment(ref _counters.ChecksumChecks);
        var expected = data.Crcs[block];
        uint actual = 0;
        var buffer = RentBlock(length);
        try
        {
            if (data.TryReadBlock(block, _blockSize, buffer))
            {
                actual = Crc32C.Compute(buffer.Span);
                if (actual == expected)
                {
                    data.Verified.Set(block);
                    _resident.Publish(data, block, buffer);
                    return true;
                }
            }
        }
        finally
        {
            buffer.Release();
        }

        DropBlock(entry, data, block);
        Interlocked.Increment(ref _counters.CorruptBlocks);
        _logger.CorruptBlock(entry.Id!.Key, entry.Id.ETag, block, expected, actual);
        return false;
    }

    /// <summary>A block buffer; resident blocks make room first, since every block buffer counts against one budget.</summary>
    private BlockBuffer RentBlock(int length)
    {
        _resident.Trim(_blocks.OutstandingBytes - _resident.Bytes + _blockSize);
        return _blocks.Rent(length);
    }

    /// <summary>
    /// Writes a fetched block: make room, data, slot, then the bits (visibility last). False: already there. No room
    /// on the disk (the floor, or ENOSPC) throws <see cref="BlockNotCachedException"/> with the bytes for the readers.
    /// </summary>
    private bool StoreBlock(CacheEntry entry, CachedObject data, long block, BlockBuffer bytes, uint crc)
    {
        if (_ledger.Reserve(entry, bytes.Length, out var room))
        {
            // Unlinking a multi-GB file can take a while; the reader that made room should not wait for it.
            _background.Track(Task.Run(_files.EmptyTrash));
        }

        if (!room)
        {
            _logger.ServedUncached(entry.Id!.Key, block, "the free-disk floor");
            throw new BlockNotCachedException(bytes.Span.ToArray());
        }

        var committed = false;
        try
        {
            try
            {
                data.WriteBlock(block, _blockSize, bytes, crc);
            }
            catch (IOException ex) when (BlockNotCachedException.IsNoSpace(ex))
            {
                _logger.ServedUncached(entry.Id!.Key, block, ex.Message);
                throw new BlockNotCachedException(bytes.Span.ToArray(), ex);
            }
            finally
            {
                _ledger.Written(bytes.Length);
            }

            lock (_ledger.SyncRoot)
            {
                data.Crcs[block] = crc;
                data.Verified.Set(block);
                if (data.Present.Set(block))
                {
                    committed = true;
                    entry.Bytes += bytes.Length;
                    entry.PresentBlocks++;
                    if (entry.PresentBlocks == data.BlockCount && entry.Sha256 is not null && data.Expected is null)
                    {
                        _verifier.ScheduleLocked(entry, data);
                    }
                }
            }
        }
        finally
        {
            if (!committed)
            {
                // Failed, or a duplicate of an abandoned fetch that already committed: give the reservation back.
                _ledger.Unreserve(bytes.Length);
            }
        }

        return committed;
    }

    private void DropBlock(CacheEntry entry, CachedObject data, long block)
    {
        lock (_ledger.SyncRoot)
        {
            if (data.Present.Clear(block))
            {
                _ledger.BlockDropped(entry, BlockLength(entry.Id!.Size, block));
            }

            data.Verified.Clear(block);
        }

        data.ForgetResident(block);
        data.Sidecar.ClearSlot(block);
    }

    private int BlockLength(long size, long block) => (int)Math.Min(_blockSize, size - (block * _blockSize));
}
