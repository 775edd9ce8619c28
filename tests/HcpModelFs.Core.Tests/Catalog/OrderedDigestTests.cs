using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.Tests.Catalog;

public sealed class OrderedDigestTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Parts_arriving_in_any_order_give_the_digests_of_the_file_in_order()
    {
        // Parts of 7 bytes over blocks of 4: part and block boundaries cross.
        var data = new byte[61];
        new Random(3).NextBytes(data);
        const int PartSize = 7;
        const int BlockSize = 4;
        using var digest = new OrderedDigest(data.Length, BlockSize);
        var count = (data.Length + PartSize - 1) / PartSize;
        var order = Enumerable.Range(0, count).Reverse().ToArray();

        var tasks = order.Select(i => digest.AppendAsync(i, data.AsMemory(i * PartSize, Math.Min(PartSize, data.Length - (i * PartSize))), CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(Bounded);
        var (sha256, blocks, _) = digest.Finish();

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sha256);
        var expected = Enumerable.Range(0, (data.Length + BlockSize - 1) / BlockSize)
            .Select(b => Crc32C.Compute(data.AsSpan(b * BlockSize, Math.Min(BlockSize, data.Length - (b * BlockSize))))).ToArray();
        Assert.Equal(BlockChecksums.From(BlockSize, expected), blocks);
    }

    [Fact]
    public async Task A_part_is_not_hashed_before_the_parts_before_it()
    {
        var data = new byte[20];
        using var digest = new OrderedDigest(data.Length, 8);

        var second = digest.AppendAsync(1, data.AsMemory(10, 10), CancellationToken.None);
        await Task.Yield();
        Assert.False(second.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => digest.Finish());

        await digest.AppendAsync(0, data.AsMemory(0, 10), CancellationToken.None).WaitAsync(Bounded);
        await second.WaitAsync(Bounded);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), digest.Finish().Sha256);
    }

    [Fact]
    public async Task A_waiting_part_can_be_cancelled_and_more_bytes_than_announced_are_refused()
    {
        using var digest = new OrderedDigest(10, 8);
        using var cts = new CancellationTokenSource();
        var waiting = digest.AppendAsync(1, new byte[5], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bounded));

        await Assert.ThrowsAsync<InvalidOperationException>(() => digest.AppendAsync(0, new byte[11], CancellationToken.None).WaitAsync(Bounded));
    }
    [Fact]
    public async Task Only_the_append_that_hashed_the_last_byte_reports_the_file_complete()
    {
        var data = new byte[30];
        new Random(5).NextBytes(data);
        using var digest = new OrderedDigest(data.Length, 8);

        var last = digest.AppendAsync(2, data.AsMemory(20, 10), CancellationToken.None);
        var middle = digest.AppendAsync(1, data.AsMemory(10, 10), CancellationToken.None);
        var first = await digest.AppendAsync(0, data.AsMemory(0, 10), CancellationToken.None).WaitAsync(Bounded);

        Assert.False(first);
        Assert.False(await middle.WaitAsync(Bounded));
        Assert.True(await last.WaitAsync(Bounded));
    }

    [Fact]
    public async Task Finish_called_again_or_from_many_threads_gives_the_same_digests()
    {
        // The running hashes reset when finished: a second finish used to give the sha256 of nothing, and two at once
        // threw from inside the hash.
        var data = new byte[1 << 20];
        new Random(7).NextBytes(data);
        using var digest = new OrderedDigest(data.Length, 1 << 16, gitBlob: true);
        digest.Append(data);
        var expected = Convert.ToHexStringLower(SHA256.HashData(data));

        using var start = new Barrier(4);
        var finishes = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(Bounded);
            return digest.Finish();
        })).ToArray();
        var results = await Task.WhenAll(finishes).WaitAsync(Bounded);

        Assert.All(results, r => Assert.Equal(expected, r.Sha256));
        Assert.Single(results.Select(r => r.GitSha1).Distinct());
        Assert.Equal(expected, digest.Finish().Sha256);
    }

    [Fact]
    public async Task The_head_crc_is_recorded_for_a_large_first_block_whatever_the_part_order_and_round_trips_through_the_manifest()
    {
        const int BlockSize = 4 * BlockChecksums.HeadBytes;
        var data = new byte[BlockSize + 1000];
        new Random(11).NextBytes(data);
        const int PartSize = 100_000; // parts cross the end of the head
        using var digest = new OrderedDigest(data.Length, BlockSize);
        var count = (data.Length + PartSize - 1) / PartSize;
        var parts = Enumerable.Range(0, count).Reverse()
            .Select(i => digest.AppendAsync(i, data.AsMemory(i * PartSize, Math.Min(PartSize, data.Length - (i * PartSize))), CancellationToken.None));
        await Task.WhenAll(parts).WaitAsync(Bounded);
        var blocks = digest.Finish().Blocks;

        Assert.Equal((BlockChecksums.HeadBytes, Crc32C.Compute(data.AsSpan(0, BlockChecksums.HeadBytes))), blocks.Head(data.Length, BlockSize));
        var manifest = new Manifest { Org = "o", Model = "m", Commit = "c", Files = [new ManifestFile("f", data.Length, "s", "e", blocks)] };
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest);
        Assert.Contains("\"headCrc32C\"", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(blocks, JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Manifest)!.Files[0].Blocks);
    }

    [Fact]
    public void No_head_crc_for_a_small_first_block_and_a_head_is_refused_where_it_would_not_pay()
    {
        using var small = new OrderedDigest(BlockChecksums.HeadBytes, 1 << 20);
        small.Append(new byte[BlockChecksums.HeadBytes]);
        var blocks = small.Finish().Blocks;
        Assert.Null(blocks.HeadCrc32C);
        Assert.DoesNotContain("head", System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(blocks)), StringComparison.OrdinalIgnoreCase);

        var recorded = new BlockChecksums(1 << 20, "", BlockChecksums.HeadBytes, 42u);
        Assert.NotNull(recorded.Head(1 << 20, 1 << 20));
        Assert.Null(recorded.Head(BlockChecksums.HeadBytes, 1 << 20)); // the file is no larger than the head
        Assert.Null(recorded.Head(1 << 20, BlockChecksums.HeadBytes)); // the reader's blocks are no larger than the head
    }
}
