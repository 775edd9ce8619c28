using System.Buffers.Binary;
using System.Text.Json;

namespace HcpModelFs.Core.Prefetch;

/// <summary>
/// Tensor extents of a safetensors file: an 8-byte little-endian header length, a JSON header mapping tensor names to
/// <c>data_offsets</c> [begin, end) relative to the end of the header. A random read touching a tensor should fetch
/// to that tensor's end: loaders read whole tensors.
/// </summary>
public sealed class SafetensorsIndex
{
    /// <summary>Headers larger than this are not parsed (the format allows 100 MB; real ones are a few MB).</summary>
    public const int MaxHeaderBytes = 64 << 20;

    private readonly long[] _starts;
    private readonly long[] _ends;

    private SafetensorsIndex(long[] starts, long[] ends)
    {
        _starts = starts;
        _ends = ends;
    }

    public int Count => _starts.Length;

    /// <summary>Length of the JSON header announced by the first 8 bytes, or -1 when they cannot start a safetensors file.</summary>
    public static long HeaderLength(ReadOnlySpan<byte> first8, long fileSize)
    {
        if (first8.Length < 8)
        {
            return -1;
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(first8);
        return length is > 1 and <= MaxHeaderBytes && 8 + length <= fileSize ? length : -1;
    }

    /// <summary>Parses the JSON header; null when it is not a valid safetensors header.</summary>
    public static SafetensorsIndex? Parse(ReadOnlySpan<byte> header, long fileSize)
    {
        var dataStart = 8 + header.Length;
        var extents = new List<(long Start, long End)>();
        try
        {
            var reader = new Utf8JsonReader(header);
            using var document = JsonDocument.ParseValue(ref reader);
            foreach (var tensor in document.RootElement.EnumerateObject())
            {
                if (tensor.Name == "__metadata__" || !tensor.Value.TryGetProperty("data_offsets", out var offsets) ||
                    offsets.GetArrayLength() != 2)
                {
                    continue;
                }

                var start = dataStart + offsets[0].GetInt64();
                var end = dataStart + offsets[1].GetInt64();
                if (start < dataStart || end < start || end > fileSize)
                {
                    return null;
                }

                extents.Add((start, end));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }

        extents.Sort((a, b) => a.Start.CompareTo(b.Start));
        return new SafetensorsIndex(extents.Select(e => e.Start).ToArray(), extents.Select(e => e.End).ToArray());
    }

    /// <summary>The end (exclusive) of the tensor containing <paramref name="offset"/>, or -1 outside every tensor.</summary>
    public long TensorEnd(long offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        if (i < 0)
        {
            i = ~i - 1;
        }

        return i >= 0 && offset < _ends[i] ? _ends[i] : -1;
    }
}
