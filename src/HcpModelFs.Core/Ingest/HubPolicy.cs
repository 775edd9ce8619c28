namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Which models may be fetched from the Hub when the store lacks them. Patterns are globs over "org/model"
/// (<c>*</c> any run of characters, <c>?</c> one character, case-sensitive like the Hub's ids); deny wins over allow.
/// </summary>
public sealed record HubPolicy
{
    /// <summary>Off: a model the store lacks is simply not there (ENOENT), the Hub is never asked.</summary>
    public bool Enabled { get; init; } = true;

    public IReadOnlyList<string> Allow { get; init; } = ["*"];

    public IReadOnlyList<string> Deny { get; init; } = [];

    /// <summary>Models larger than this (sum of file sizes) are refused; null = no limit.</summary>
    public long? MaxModelBytes { get; init; }

    public IngestTrigger Trigger { get; init; } = IngestTrigger.Open;

    public bool Allows(string org, string model)
    {
        if (!Enabled)
        {
            return false;
        }

        var id = org + "/" + model;
        return Any(Allow, id) && !Any(Deny, id);
    }

    /// <summary>Whether some model of <paramref name="org"/> could be allowed (so the organisation folder may exist).</summary>
    public bool MayAllowOrganization(string org)
    {
        if (!Enabled)
        {
            return false;
        }

        foreach (var pattern in Allow)
        {
            var slash = pattern.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 ? Glob.Matches(pattern, org + "/x") || pattern.EndsWith('*') : Glob.Matches(pattern.AsSpan(0, slash), org))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Any(IReadOnlyList<string> patterns, string id)
    {
        foreach (var pattern in patterns)
        {
            if (Glob.Matches(pattern, id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Iterative glob matching with backtracking to the last '*': linear in practice, no regex compilation.</summary>
    internal static class Glob
    {
        public static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
        {
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
                {
                    p++;
                    t++;
                }
                else if (p < pattern.Length && pattern[p] == '*')
                {
                    star = p++;
                    mark = t;
                }
                else if (star >= 0)
                {
                    p = star + 1;
                    t = ++mark;
                }
                else
                {
                    return false;
                }
            }

            while (p < pattern.Length && pattern[p] == '*')
            {
                p++;
            }

            return p == pattern.Length;
        }
    }
}
