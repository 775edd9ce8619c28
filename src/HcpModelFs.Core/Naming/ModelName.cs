namespace HcpModelFs.Core.Naming;

/// <summary>
/// Validation of organisation and model names by the Hub's rules (hf-hub-protocol.md §1.1, ASCII subset): letters,
/// digits, '-', '_', '.'; first and last character a letter, digit or '_'; no "--" or ".."; no trailing ".git";
/// at most 96 characters. Checked before any network call: anything else is ENOENT at once.
/// </summary>
public static class ModelName
{
    public const int MaxLength = 96;

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        static bool Edge(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
        return Edge(name[0]) && Edge(name[^1]) &&
               !name.Contains("--", StringComparison.Ordinal) &&
               !name.Contains("..", StringComparison.Ordinal) &&
               !name.EndsWith(".git", StringComparison.Ordinal);
    }

    /// <summary>
    /// Splits "model" or "model@rev". The revision is a branch or tag (letters, digits, '-', '_', '.', '/', at most 128
    /// characters, no "..") or a 40-hex commit.
    /// </summary>
    public static bool TryParseModelEntry(string entry, out string model, out string? revision)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var at = entry.IndexOf('@', StringComparison.Ordinal);
        model = at < 0 ? entry : entry[..at];
        revision = at < 0 ? null : entry[(at + 1)..];
        return IsValid(model) && (revision is null || IsValidRevision(revision));
    }

    public static bool IsValidRevision(ReadOnlySpan<char> revision)
    {
        if (revision.IsEmpty || revision.Length > 128 || revision.Contains("..", StringComparison.Ordinal) ||
            revision[0] == '/' || revision[^1] == '/')
        {
            return false;
        }

        foreach (var c in revision)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsCommitSha(ReadOnlySpan<char> revision)
    {
        if (revision.Length != 40)
        {
            return false;
        }

        foreach (var c in revision)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }
}
