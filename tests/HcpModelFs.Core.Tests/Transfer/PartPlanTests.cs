using HcpModelFs.Core.Transfer;

namespace HcpModelFs.Core.Tests.Transfer;

public sealed class PartPlanTests
{
    private const int MiB = 1 << 20;

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(1L, 1)]
    [InlineData(16L * MiB, 1)]
    [InlineData((16L * MiB) + 1, 2)]
    [InlineData(100L * MiB, 7)]
    public void Parts_are_numbered_from_1_in_order_and_cover_the_file_exactly(long size, int count)
    {
        var parts = PartPlan.For(size, 16 * MiB);

        Assert.Equal(count, parts.Count);
        long next = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            Assert.Equal(i + 1, parts[i].Number);
            Assert.Equal(next, parts[i].Offset);
            Assert.True(i == parts.Count - 1 ? parts[i].Length is > 0 and <= 16 * MiB : parts[i].Length == 16 * MiB);
            next += parts[i].Length;
        }

        Assert.Equal(size, next);
    }

    [Fact]
    public void A_file_too_large_for_10000_parts_gets_larger_whole_MiB_parts()
    {
        var size = 200L * 1024 * MiB; // 200 GiB at 16 MiB would be 12,800 parts
        var partSize = PartPlan.PartSizeFor(size, 16 * MiB);

        Assert.True(partSize > 16 * MiB);
        Assert.Equal(0, partSize % MiB);
        Assert.True((size + partSize - 1) / partSize <= PartPlan.MaxParts);
        Assert.True((size + partSize - MiB - 1) / (partSize - MiB) > PartPlan.MaxParts, "not the smallest whole MiB that fits");
    }

    [Fact]
    public void Part_sizes_below_the_S3_minimum_or_above_the_buffer_limit_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PartPlan.For(10, (5 * MiB) - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PartPlan.For(10, PartPlan.MaxPartSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PartPlan.For(10_000L * PartPlan.MaxPartSize + 1, 16 * MiB));
    }
}
