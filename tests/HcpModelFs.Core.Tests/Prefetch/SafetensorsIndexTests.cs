using HcpModelFs.Core.Prefetch;

namespace HcpModelFs.Core.Tests.Prefetch;

public sealed class SafetensorsIndexTests
{
    [Fact]
    public void Parse_maps_any_offset_inside_a_tensor_to_its_end()
    {
        var (bytes, dataStart) = SafetensorsFile.Build(("a", 100), ("b", 5000), ("c", 1));
        var length = SafetensorsIndex.HeaderLength(bytes, bytes.Length);
        var index = SafetensorsIndex.Parse(bytes.AsSpan(8, (int)length), bytes.Length)!;

        Assert.Equal(3, index.Count);
        Assert.Equal(dataStart + 100, index.TensorEnd(dataStart));
        Assert.Equal(dataStart + 5100, index.TensorEnd(dataStart + 100));
        Assert.Equal(dataStart + 5100, index.TensorEnd(dataStart + 5099));
        Assert.Equal(dataStart + 5101, index.TensorEnd(dataStart + 5100));
        Assert.Equal(-1, index.TensorEnd(3)); // inside the header
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })]
    [InlineData(new byte[] { 1, 2, 3 })]
    public void HeaderLength_rejects_what_cannot_start_a_safetensors_file(byte[] first) =>
        Assert.Equal(-1, SafetensorsIndex.HeaderLength(first, 1 << 20));

    [Fact]
    public void Parse_rejects_offsets_past_the_end_of_the_file()
    {
        var (bytes, _) = SafetensorsFile.Build(("a", 100));
        var length = (int)SafetensorsIndex.HeaderLength(bytes, bytes.Length);
        Assert.Null(SafetensorsIndex.Parse(bytes.AsSpan(8, length), bytes.Length - 1));
        Assert.Null(SafetensorsIndex.Parse("{not json"u8, 1000));
    }
}
