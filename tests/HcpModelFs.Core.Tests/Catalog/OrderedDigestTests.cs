using System.Security.Cryptography;
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
}
