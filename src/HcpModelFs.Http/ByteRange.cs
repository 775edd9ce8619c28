using System.Globalization;

namespace HcpModelFs.Http;

/// <summary>
/// One `Range: bytes=...` request (hf-hub-protocol.md §3.5): `a-b`, `a-`, `-n`. Clients here send single ranges; a
/// header we cannot read or a multi-range is ignored (RFC 9110 §14.2 lets a server answer 200 with the whole file),
/// a range that starts past the end is unsatisfiable (416).
/// </summary>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;

    /// <summary>Null: serve the whole file. Otherwise the range, or <paramref name="unsatisfiable"/>.</summary>
    public static ByteRange? Parse(string? header, long size, out bool unsatisfiable)
    {
        unsatisfiable = false;
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var spec = header["bytes=".Length..].Trim();
        if (spec.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return null;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        const NumberStyles digits = NumberStyles.None;
        if (first.Length == 0)
        {
            // Suffix: the last n bytes.
            if (!long.TryParse(last, digits, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }

            if (n == 0 || size == 0)
            {
                unsatisfiable = true;
                return null;
            }

            var take = Math.Min(n, size);
            return new ByteRange(size - take, take);
        }

        if (!long.TryParse(first, digits, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        long end;
        if (last.Length == 0)
        {
            end = size - 1;
        }
        else if (!long.TryParse(last, digits, CultureInfo.InvariantCulture, out end))
        {
            return null;
        }
        else if (end < start)
        {
            // Syntactically invalid (RFC 9110: ignore the header).
            return null;
        }

        if (start >= size)
        {
            unsatisfiable = true;
            return null;
        }

        end = Math.Min(end, size - 1);
        return new ByteRange(start, end - start + 1);
    }
}
