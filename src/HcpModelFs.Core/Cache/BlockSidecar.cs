using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// The per-object metadata file (<c>&lt;stem&gt;.meta</c>): a header naming the content, then one fixed 8-byte slot
/// per block so a block's slot is written in place with one pwrite.
/// </summary>
/// <remarks>
/// Layout, little-endian:
/// <code>
/// 0   8  magic "HMFSMETA"
/// 8   2  version (1)
/// 10  2  slot size (8)
/// 12  4  block size
/// 16  8  object size
/// 24  8  block count
/// 32  4  header length H (multiple of 8; slots start here)
/// 36  4  key length K (UTF-8 bytes)
/// 40  4  etag length E (UTF-8 bytes)
/// 44  4  CRC32C of bytes [0, H) with this field zero
/// 48  K  key, then E etag, then zero padding up to H
/// H + 8*i: u32 CRC32C of the block's bytes, u32 state (0x4B4F4C42 "BLOK" = present, anything else = missing)
/// </code>
/// The header is a pure function of (key, etag, size, block size), so "does this sidecar describe this object" is a
/// byte comparison; any difference (other etag, size, block size, version, a torn header) discards the object.
/// Slots never straddle a page (H and slots are 8-aligned), so a slot write is not torn in practice; the marker comes
/// after the CRC so a slot cut short by a truncated file reads as missing, and any other tear fails the CRC check.
/// </remarks>
internal sealed class BlockSidecar : IDisposable
{
    public const int SlotSize = 8;
    public const uint PresentMarker = 0x4B4F4C42;
    public const ushort FormatVersion = 1;
    public const int FixedHeaderLength = 48;

    private static ReadOnlySpan<byte> MagicBytes => "HMFSMETA"u8;

    private readonly SafeFileHandle _handle;

    private BlockSidecar(SafeFileHandle handle, int headerLength, long blockCount)
    {
        _handle = handle;
        HeaderLength = headerLength;
        BlockCount = blockCount;
    }

    public int HeaderLength { get; }

    public long BlockCount { get; }

    /// <summary>
    /// Opens the sidecar at <paramref name="path"/> for <paramref name="id"/>, creating it (header first, slots zero)
    /// when absent or when it describes anything else.
    /// </summary>
    public static BlockSidecar OpenOrCreate(string path, CacheObjectId id, int blockSize, out SidecarOpenResult result)
    {
        var header = BuildHeader(id, blockSize);
        var blockCount = BlockCountOf(id.Size, blockSize);
        var handle = File.OpenHandle(
            path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var length = RandomAccess.GetLength(handle);
            if (length == 0)
            {
                result = SidecarOpenResult.Created;
            }
            else
            {
                var existing = new byte[header.Length];
                var read = ReadFully(handle, existing, 0);
                result = read == header.Length && existing.AsSpan().SequenceEqual(header)
                    ? SidecarOpenResult.Matched
                    : SidecarOpenResult.Discarded;
            }

            if (result != SidecarOpenResult.Matched)
            {
                // Header before any slot: the slot area is zero (all missing) until blocks land.
                RandomAccess.SetLength(handle, 0);
                RandomAccess.Write(handle, header, 0);
                RandomAccess.SetLength(handle, header.Length + (blockCount * SlotSize));
            }

            return new BlockSidecar(handle, header.Length, blockCount);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public static long BlockCountOf(long size, int blockSize) => (size + blockSize - 1) / blockSize;

    /// <summary>The header bytes for an object (see the layout above).</summary>
    public static byte[] BuildHeader(CacheObjectId id, int blockSize)
    {
        var keyLength = Encoding.UTF8.GetByteCount(id.Key);
        var etagLength = Encoding.UTF8.GetByteCount(id.ETag);
        var headerLength = (FixedHeaderLength + keyLength + etagLength + 7) & ~7;
        var header = new byte[headerLength];
        var span = header.AsSpan();
        MagicBytes.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], SlotSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], blockSize);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], id.Size);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], BlockCountOf(id.Size, blockSize));
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], headerLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[36..], keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], etagLength);
        Encoding.UTF8.GetBytes(id.Key, span.Slice(FixedHeaderLength, keyLength));
        Encoding.UTF8.GetBytes(id.ETag, span.Slice(FixedHeaderLength + keyLength, etagLength));
        BinaryPrimitives.WriteUInt32LittleEndian(span[44..], Crc32C.Compute(span));
        return header;
    }

    /// <summary>Parses a header (for tools: <c>cache stats</c>); false when it is not a valid version-1 header.</summary>
    public static bool TryParseHeader(
        ReadOnlySpan<byte> bytes, out string key, out string etag, out long size, out int blockSize)
    {
        key = etag = string.Empty;
        size = 0;
        blockSize = 0;
        if (bytes.Length < FixedHeaderLength || !bytes[..8].SequenceEqual(MagicBytes)
            || BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) != FormatVersion)
        {
            return false;
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[32..]);
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[36..]);
        var etagLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[40..]);
        if (headerLength > bytes.Length || keyLength < 0 || etagLength < 0
            || FixedHeaderLength + (long)keyLength + etagLength > headerLength)
        {
            return false;
        }

        var copy = bytes[..headerLength].ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(44), 0);
        if (Crc32C.Compute(copy) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[44..]))
        {
            return false;
        }

        blockSize = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        size = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        key = Encoding.UTF8.GetString(bytes.Slice(FixedHeaderLength, keyLength));
        etag = Encoding.UTF8.GetString(bytes.Slice(FixedHeaderLength + keyLength, etagLength));
        return true;
    }

    /// <summary>
    /// Reads all slots into <paramref name="destination"/> (<see cref="BlockCount"/> × <see cref="SlotSize"/> bytes);
    /// a short file (torn growth) leaves the rest zero, i.e. missing.
    /// </summary>
    public void ReadSlots(Span<byte> destination)
    {
        destination.Clear();
        ReadFully(_handle, destination, HeaderLength);
    }

    public static bool TryDecodeSlot(ReadOnlySpan<byte> slot, out uint crc)
    {
        crc = BinaryPrimitives.ReadUInt32LittleEndian(slot);
        return BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]) == PresentMarker;
    }

    public void WriteSlot(long index, uint crc)
    {
        Span<byte> slot = stackalloc byte[SlotSize];
        BinaryPrimitives.WriteUInt32LittleEndian(slot, crc);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], PresentMarker);
        RandomAccess.Write(_handle, slot, SlotOffset(index));
    }

    public void ClearSlot(long index)
    {
        Span<byte> slot = stackalloc byte[SlotSize];
        slot.Clear();
        RandomAccess.Write(_handle, slot, SlotOffset(index));
    }

    /// <summary>Marks every block missing (shrink to the header, grow back: the slot area reads as zeros).</summary>
    public void ClearAllSlots()
    {
        RandomAccess.SetLength(_handle, HeaderLength);
        RandomAccess.SetLength(_handle, HeaderLength + (BlockCount * SlotSize));
    }

    public long SlotOffset(long index) => HeaderLength + (index * SlotSize);

    public void Dispose() => _handle.Dispose();

    /// <summary>Reads until <paramref name="destination"/> is full or the file ends; the bytes read.</summary>
    internal static int ReadFully(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = RandomAccess.Read(handle, destination[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
