namespace HcpModelFs.Core.Transfer;

/// <summary>One part of a file: its 1-based S3 part number, offset and length.</summary>
public readonly record struct FilePart(int Number, long Offset, int Length);

/// <summary>
/// How a file is cut into multipart parts: the requested size where it fits, else the smallest whole MiB that keeps
/// the file within S3's 10,000 parts. Every part but the last is at least S3's 5 MiB minimum.
/// </summary>
public static class PartPlan
{
    public const int MinPartSize = 5 << 20;
    public const int MaxParts = 10_000;

    /// <summary>The largest part (S3 allows 5 GiB; one pooled buffer per part in flight bounds memory long before that).</summary>
    public const int MaxPartSize = 512 << 20;

    /// <summary>The part size used for a file of <paramref name="size"/> bytes.</summary>
    public static int PartSizeFor(long size, int requested)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfLessThan(requested, MinPartSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requested, MaxPartSize);
        var needed = (size + MaxParts - 1) / MaxParts;
        if (needed <= requested)
        {
            return requested;
        }

        const long MiB = 1 << 20;
        var rounded = (needed + MiB - 1) / MiB * MiB;
        return rounded <= MaxPartSize
            ? (int)rounded
            : throw new ArgumentOutOfRangeException(nameof(size), size, $"a file of {size} bytes needs parts above {MaxPartSize} bytes");
    }

    /// <summary>The parts of a file in order; an empty file has none.</summary>
    public static IReadOnlyList<FilePart> For(long size, int requested) => Cut(size, PartSizeFor(size, requested));

    /// <summary>A file cut into parts of <paramref name="partSize"/> bytes in order (the last one shorter); an empty file has none.</summary>
    public static IReadOnlyList<FilePart> Cut(long size, int partSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, 1);
        var parts = new List<FilePart>((int)((size + partSize - 1) / partSize));
        for (long offset = 0; offset < size; offset += partSize)
        {
            parts.Add(new FilePart(parts.Count + 1, offset, (int)Math.Min(partSize, size - offset)));
        }

        return parts;
    }
}
