using System.Text;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class Crc32CTests
{
    [Fact]
    public void Compute_check_string_matches_castagnoli_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0xE3069283u, Crc32C.ComputeSoftware("123456789"u8));
    }

    [Fact]
    public void Compute_rfc3720_vectors_match()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void Compute_empty_is_zero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Compute_hardware_path_equals_software_table_for_every_length_and_alignment()
    {
        var random = new Random(1234);
        var data = new byte[1024 + 16];
        random.NextBytes(data);
        for (var start = 0; start < 9; start++)
        {
            for (var length = 0; length <= 1024; length += length < 64 ? 1 : 61)
            {
                var span = data.AsSpan(start, length);
                Assert.Equal(Crc32C.ComputeSoftware(span), Crc32C.Compute(span));
            }
        }
    }

    [Theory]
    [InlineData(0, 3 * 256)]
    [InlineData(1, (3 * 256) - 1)]
    [InlineData(3, (3 * 8192) - 1)]
    [InlineData(0, 3 * 8192)]
    [InlineData(5, (3 * 8192) + (3 * 256) + 7)]
    [InlineData(0, (8 << 20) + 13)]
    [InlineData(7, 8 << 20)]
    public void Compute_interleaved_lanes_equal_software_table_around_lane_boundaries(int start, int length)
    {
        var data = new byte[start + length];
        new Random(length).NextBytes(data);
        var span = data.AsSpan(start, length);

        Assert.Equal(Crc32C.ComputeSoftware(span), Crc32C.Compute(span));
        Assert.Equal(Crc32C.Compute(span), Crc32C.Append(Crc32C.Compute(span[..(length / 3)]), span[(length / 3)..]));
    }

    [Fact]
    public void Append_in_pieces_equals_compute_of_the_whole()
    {
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("HcpModelFs block cache ", 500)));
        var whole = Crc32C.Compute(data);
        var random = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            uint crc = 0;
            var position = 0;
            while (position < data.Length)
            {
                var n = Math.Min(random.Next(0, 200), data.Length - position);
                crc = Crc32C.Append(crc, data.AsSpan(position, n));
                position += n;
            }

            Assert.Equal(whole, crc);
        }
    }

    [Fact]
    public void Compute_detects_a_single_flipped_bit()
    {
        var data = new byte[8192];
        new Random(3).NextBytes(data);
        var crc = Crc32C.Compute(data);
        data[4321] ^= 0x10;
        Assert.NotEqual(crc, Crc32C.Compute(data));
    }
}
