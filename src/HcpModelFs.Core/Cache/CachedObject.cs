using System.Buffers;
using HcpModelFs.Core.Native;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// A cached object with its files open: the data file, the sidecar, which blocks are present, which of those were
/// checked in this process, and their CRCs. The bitmaps are read without a lock on the read path.
/// </summary>
/// <remarks>
/// Visibility: a block becomes readable only in this order — data pwritten, slot pwritten, then the present bit
/// flipped (after the CRC is stored); dropping goes the other way round. A crash can leave data without a slot (the
/// block is simply missing) or a slot whose data never reached the disk (its CRC fails on first read): one refetch,
/// never wrong bytes, because every present block is checked against its CRC the first time this process reads it.
/// </remarks>
internal sealed class CachedObject : IDisposable
{
    private readonly SafeFileHandle? _direct;
    private readonly BlockBuffer?[] _resident;
    private FirstBytes? _firstBytes;

    private CachedObject(
        string dataPath, SafeFileHandle data, SafeFileHandle? direct, BlockSidecar sidecar, BlockBitmap present, uint[] crcs, uint[]? expected,
        (int Size, uint Crc)? head)
    {
        DataPath = dataPath;
        Data = data;
        _direct = direct;
        _resident = new BlockBuffer?[present.Count];
        Sidecar = sidecar;
        Present = present;
        Verified = new BlockBitmap(present.Count);
        Crcs = crcs;
        Expected = expected;
        Head = head;
    }

    public string DataPath { get; }

    public SafeFileHandle Data { get; }

    public BlockSidecar Sidecar { get; }

    /// <summary>Blocks on disk with their slot written.</summary>
    public BlockBitmap Present { get; }

    /// <summary>Present blocks whose bytes were checked against their CRC in this process (or written by it).</summary>
    public BlockBitmap Verified { get; }

    /// <summary>Recorded CRC32C of each present block.</summary>
    public uint[] Crcs { get; }

    /// <summary>Per-block CRC32C from the manifest (end-to-end check of every fetched block), when known.</summary>
    public uint[]? Expected { get; }

    /// <summary>The manifest's CRC of the object's first bytes, when its first block is fetched in two GETs.</summary>
    public (int Size, uint Crc)? Head { get; }

    public long BlockCount => Present.Count;

    /// <summary>The slot where the fetch of block 0 publishes the checked head (created by whichever comes first).</summary>
    public FirstBytes FirstBytes()
    {
        var slot = Volatile.Read(ref _firstBytes);
        return slot ?? Interlocked.CompareExchange(ref _firstBytes, slot = new FirstBytes(), null) ?? slot;
    }

    /// <summary>Block 0's load ended: close its slot, so a later load (after a drop) starts a fresh one.</summary>
    public void CloseFirstBytes() => Interlocked.Exchange(ref _firstBytes, null)?.Close();

    /// <summary>
    /// Opens the object's files, reading the sidecar: present blocks and their CRCs. A sidecar for other content is
    /// discarded with its data; a recorded CRC that disagrees with the manifest's is treated as missing.
    /// </summary>
    public static CachedObject Load(
        string dataPath, string metaPath, CacheObjectId id, int blockSize, bool directWrites, ArrayPool<byte> pool,
        out SidecarOpenResult result, out long presentBytes, out long presentBlocks)
    {
        var sidecar = BlockSidecar.OpenOrCreate(metaPath, id, blockSize, out result);
        SafeFileHandle? data = null;
        SafeFileHandle? direct = null;
        byte[]? slots = null;
        try
        {
            data = File.OpenHandle(dataPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (result != SidecarOpenResult.Matched)
            {
                RandomAccess.SetLength(data, 0);
            }

            var count = sidecar.BlockCount;
            var present = new BlockBitmap(count);
            var crcs = new uint[count];
            var expected = id.Blocks?.Decode(id.Size, blockSize);
            var head = id.Blocks?.Head(id.Size, blockSize);
            presentBytes = 0;
            presentBlocks = 0;
            if (result == SidecarOpenResult.Matched && count > 0)
            {
                var slotBytes = checked((int)(count * BlockSidecar.SlotSize));
                slots = pool.Rent(slotBytes);
                sidecar.ReadSlots(slots.AsSpan(0, slotBytes));
                for (long i = 0; i < count; i++)
                {
                    var slot = slots.AsSpan((int)(i * BlockSidecar.SlotSize), BlockSidecar.SlotSize);
                    if (BlockSidecar.TryDecodeSlot(slot, out var crc) && (expected is null || expected[i] == crc))
                    {
                        present.Set(i);
                        crcs[i] = crc;
                        presentBytes += Math.Min(blockSize, id.Size - (i * blockSize));
                        presentBlocks++;
                    }
                }
            }

            if (directWrites && blockSize % DirectIo.Alignment == 0)
            {
                direct = DirectIo.TryOpenDirect(dataPath);
            }

            return new CachedObject(dataPath, data, direct, sidecar, present, crcs, expected, head);
        }
        catch
        {
            direct?.Dispose();
            data?.Dispose();
            sidecar.Dispose();
            throw;
        }
        finally
        {
            if (slots is not null)
            {
                pool.Return(slots);
            }
        }
    }

    /// <summary>True when the block can be pread as is (present and checked).</summary>
    public bool IsReadable(long index) => Verified.Get(index) && Present.Get(index);

    /// <summary>Every block present and checked in this process: what a READ would serve, the kernel may read directly.</summary>
    public bool IsCompleteAndVerified => Verified.AllSet() && Present.AllSet();

    public void ReadPresent(Span<byte> destination, long position)
    {
        if (!TryReadExactly(destination, position))
        {
            throw new IOException($"Cache data file {DataPath} ended inside a present block at {position}.");
        }
    }

    public bool TryReadExactly(Span<byte> destination, long position) => TryReadExactly(Data, destination, position);

    /// <summary>
    /// Writes a block's bytes and then its slot; the caller flips the bits afterwards (visibility last). Whole aligned
    /// blocks go around the page cache (see <see cref="DirectIo"/>); a short last block through it.
    /// </summary>
    public void WriteBlock(long block, int blockSize, BlockBuffer data, uint crc)
    {
        var position = block * blockSize;
        var bytes = data.Span;
        RandomAccess.Write(_direct is not null && bytes.Length % DirectIo.Alignment == 0 ? _direct : Data, bytes, position);
        Sidecar.WriteSlot(block, crc);
    }

    /// <summary>
    /// Reads a whole block into <paramref name="buffer"/> around the page cache when it can (a block checked on its
    /// first read after a restart then serves its readers from memory); false if the file ended early.
    /// </summary>
    public bool TryReadBlock(long block, int blockSize, BlockBuffer buffer)
    {
        var bytes = buffer.Span;
        if (_direct is null || bytes.Length % DirectIo.Alignment != 0)
        {
            return TryReadExactly(bytes, block * blockSize);
        }

        return TryReadExactly(_direct, bytes, block * blockSize);
    }

    private static bool TryReadExactly(SafeFileHandle handle, Span<byte> destination, long position)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, position);
            if (n == 0)
            {
                return false;
            }

            destination = destination[n..];
            position += n;
        }

        return true;
    }

    public bool SetResident(long block, BlockBuffer buffer) => Interlocked.CompareExchange(ref _resident[block], buffer, null) is null;

    public bool ClearResident(long block, BlockBuffer buffer) => ReferenceEquals(Interlocked.CompareExchange(ref _resident[block], null, buffer), buffer);

    /// <summary>Drops the in-memory copy of a block (its bytes turned out wrong, or the object is going away).</summary>
    public void ForgetResident(long block) => Interlocked.Exchange(ref _resident[block], null)?.Release();

    public void ForgetAllResident()
    {
        for (long b = 0; b < _resident.Length; b++)
        {
            ForgetResident(b);
        }
    }

    /// <summary>Lends a range of the block's in-memory copy (a reference the borrower releases); false if it has none.</summary>
    public bool TryLendResident(long block, int offsetInBlock, int length, out BlockLease lease)
    {
        lease = default;
        var buffer = Volatile.Read(ref _resident[block]);
        if (buffer is null || !buffer.TryRetain())
        {
            return false;
        }

        // As in TryCopyResident: the buffer may have been recycled for another block before the retain.
        if (!ReferenceEquals(Volatile.Read(ref _resident[block]), buffer))
        {
            buffer.Release();
            return false;
        }

        buffer.AddServed(length);
        lease = new BlockLease(buffer, buffer.Memory.Slice(offsetInBlock, length));
        return true;
    }

    /// <summary>Copies from the block's in-memory copy, if it has one; false means read the file.</summary>
    public bool TryCopyResident(long block, int offsetInBlock, Span<byte> destination)
    {
        if (!TryLendResident(block, offsetInBlock, destination.Length, out var lease))
        {
            return false;
        }

        lease.Memory.Span.CopyTo(destination);
        BlockLease.Release(lease.Owner);
        return true;
    }

    public void Dispose()
    {
        ForgetAllResident();
        _direct?.Dispose();
        Data.Dispose();
        Sidecar.Dispose();
    }
}
