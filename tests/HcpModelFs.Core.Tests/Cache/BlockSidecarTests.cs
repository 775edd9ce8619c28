using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class BlockSidecarTests : IDisposable
{
    private const int BlockSize = 4096;
    private readonly TempDirectory _dir = new();
    private readonly CacheObjectId _id = new("models/org/name/main/model-00001-of-00002.safetensors", "\"etag-1\"", (3 * BlockSize) + 10);

    private string MetaPath => Path.Combine(_dir.Path, "x.meta");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void OpenOrCreate_new_file_has_header_then_all_slots_missing()
    {
        using (var sidecar = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out var result))
        {
            Assert.Equal(SidecarOpenResult.Created, result);
            Assert.Equal(4, sidecar.BlockCount);
            Assert.Equal(0, sidecar.HeaderLength % 8);
            var slots = new byte[4 * BlockSidecar.SlotSize];
            sidecar.ReadSlots(slots);
            for (var i = 0; i < 4; i++)
            {
                Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(i * 8, 8), out _));
            }
        }

        var bytes = File.ReadAllBytes(MetaPath);
        Assert.True(BlockSidecar.TryParseHeader(bytes, out var key, out var etag, out var size, out var blockSize));
        Assert.Equal((_id.Key, _id.ETag, _id.Size, BlockSize), (key, etag, size, blockSize));
        Assert.Equal("HMFSMETA"u8.ToArray(), bytes[..8]);
        Assert.Equal(BlockSidecar.BuildHeader(_id, BlockSize).Length + (4 * 8), bytes.Length);
    }

    [Fact]
    public void WriteSlot_is_read_back_after_reopen_and_other_slots_stay_missing()
    {
        using (var sidecar = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out _))
        {
            sidecar.WriteSlot(2, 0xDEADBEEF);
        }

        using var reopened = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out var result);
        Assert.Equal(SidecarOpenResult.Matched, result);
        var slots = new byte[4 * 8];
        reopened.ReadSlots(slots);
        Assert.True(BlockSidecar.TryDecodeSlot(slots.AsSpan(16, 8), out var crc));
        Assert.Equal(0xDEADBEEFu, crc);
        Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(0, 8), out _));
        Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(24, 8), out _));
    }

    [Theory]
    [InlineData("other-etag", 0, BlockSize)]
    [InlineData(null, 1, BlockSize)]
    [InlineData(null, 0, BlockSize * 2)]
    public void OpenOrCreate_for_other_content_or_block_size_discards_slots(string? etag, long sizeDelta, int blockSize)
    {
        using (var sidecar = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out _))
        {
            sidecar.WriteSlot(0, 1);
        }

        var other = _id with { ETag = etag ?? _id.ETag, Size = _id.Size + sizeDelta };
        using var reopened = BlockSidecar.OpenOrCreate(MetaPath, other, blockSize, out var result);
        Assert.Equal(SidecarOpenResult.Discarded, result);
        var slots = new byte[reopened.BlockCount * 8];
        reopened.ReadSlots(slots);
        Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(0, 8), out _));
    }

    [Fact]
    public void OpenOrCreate_with_damaged_header_discards()
    {
        using (var sidecar = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out _))
        {
            sidecar.WriteSlot(0, 1);
        }

        using (var stream = new FileStream(MetaPath, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 50;
            stream.WriteByte(0x7F);
        }

        Assert.False(BlockSidecar.TryParseHeader(File.ReadAllBytes(MetaPath), out _, out _, out _, out _));
        using var reopened = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out var result);
        Assert.Equal(SidecarOpenResult.Discarded, result);
    }

    [Fact]
    public void ReadSlots_of_a_truncated_sidecar_reports_the_missing_tail_as_missing()
    {
        int headerLength;
        using (var sidecar = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out _))
        {
            headerLength = sidecar.HeaderLength;
            for (var i = 0; i < 4; i++)
            {
                sidecar.WriteSlot(i, (uint)i + 1);
            }
        }

        using (var stream = new FileStream(MetaPath, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(headerLength + 12); // slot 0 whole, slot 1 torn, 2 and 3 gone
        }

        using var reopened = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out var result);
        Assert.Equal(SidecarOpenResult.Matched, result);
        var slots = new byte[4 * 8];
        reopened.ReadSlots(slots);
        Assert.True(BlockSidecar.TryDecodeSlot(slots.AsSpan(0, 8), out _));
        Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(8, 8), out _));
        Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(16, 8), out _));
        Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(24, 8), out _));
    }

    [Fact]
    public void ClearAllSlots_marks_every_block_missing_and_keeps_the_header()
    {
        using var sidecar = BlockSidecar.OpenOrCreate(MetaPath, _id, BlockSize, out _);
        sidecar.WriteSlot(1, 5);
        sidecar.ClearAllSlots();
        var slots = new byte[4 * 8];
        sidecar.ReadSlots(slots);
        Assert.All(Enumerable.Range(0, 4), i => Assert.False(BlockSidecar.TryDecodeSlot(slots.AsSpan(i * 8, 8), out _)));
        Assert.True(BlockSidecar.TryParseHeader(File.ReadAllBytes(MetaPath), out _, out _, out _, out _));
    }
}
