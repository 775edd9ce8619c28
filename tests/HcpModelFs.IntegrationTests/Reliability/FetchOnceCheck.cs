using System.Globalization;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// "Each block is fetched from the store once", checked on the store's side: the successful data GETs of a file
/// (key and Range header, as the fault proxy logged them) must cover every byte of the file exactly once. A byte
/// fetched twice (a duplicate or an overlapping range) or never is a failure, one line each.
/// </summary>
internal static class FetchOnceCheck
{
    /// <param name="gets">(key, Range header or null for a whole-object GET) of each answered data GET.</param>
    /// <param name="files">key -> size of each file whose bytes were all read.</param>
    public static IReadOnlyList<string> Failures(IEnumerable<(string Key, string? Range)> gets, IReadOnlyDictionary<string, long> files)
    {
        var failures = new List<string>();
        var byKey = gets.Where(g => files.ContainsKey(g.Key)).GroupBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Range).ToList(), StringComparer.Ordinal);
        foreach (var (key, size) in files)
        {
            var ranges = new List<(long Start, long End)>();
            foreach (var header in byKey.GetValueOrDefault(key) ?? [])
            {
                if (Parse(header, size) is { } range)
                {
                    ranges.Add(range);
                }
                else
                {
                    failures.Add($"{key}: unreadable range '{header}'");
                }
            }

            ranges.Sort();
            long covered = 0; // every byte below this is fetched exactly once so far
            foreach (var (start, end) in ranges)
            {
                if (start < covered)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: bytes {start}-{Math.Min(end, covered) - 1} fetched again"));
                }
                else if (start > covered)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: bytes {covered}-{start - 1} never fetched"));
                }

                covered = Math.Max(covered, end);
            }

            if (covered < size)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: bytes {covered}-{size - 1} never fetched"));
            }
        }

        return failures;
    }

    /// <summary>"bytes=a-b" (b inclusive, clamped to the size) as [a, b+1); null header = the whole object.</summary>
    private static (long Start, long End)? Parse(string? header, long size)
    {
        if (header is null)
        {
            return (0, size);
        }

        var dash = header.IndexOf('-', StringComparison.Ordinal);
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || dash < 6)
        {
            return null;
        }

        var first = header[6..dash];
        var last = header[(dash + 1)..];
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        if (last.Length == 0)
        {
            return (start, size);
        }

        return long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var end) && end >= start
            ? (start, Math.Min(end + 1, size))
            : null;
    }
}
