namespace HcpModelFs.Http.Tests;

public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-0", 100, 0, 1)]
    [InlineData("bytes=10-19", 100, 10, 10)]
    [InlineData("bytes=90-", 100, 90, 10)]
    [InlineData("bytes=-5", 100, 95, 5)]
    [InlineData("bytes=-500", 100, 0, 100)]
    [InlineData("bytes=50-1000", 100, 50, 50)]
    [InlineData("bytes=99-99", 100, 99, 1)]
    public void Single_ranges_are_clamped_to_the_file(string header, long size, long start, long length)
    {
        var range = ByteRange.Parse(header, size, out var unsatisfiable);
        Assert.False(unsatisfiable);
        Assert.Equal(new ByteRange(start, length), range);
    }

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=100-200", 100)]
    [InlineData("bytes=0-0", 0)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=-1", 0)]
    [InlineData("bytes=9223372036854775806-", 100)]
    public void Ranges_starting_past_the_end_are_unsatisfiable(string header, long size)
    {
        Assert.Null(ByteRange.Parse(header, size, out var unsatisfiable));
        Assert.True(unsatisfiable);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-1")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=5-1")]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("bytes=99999999999999999999999-")]
    [InlineData("bytes=--1")]
    public void Unreadable_or_multi_ranges_serve_the_whole_file(string? header)
    {
        Assert.Null(ByteRange.Parse(header, 100, out var unsatisfiable));
        Assert.False(unsatisfiable);
    }
}
