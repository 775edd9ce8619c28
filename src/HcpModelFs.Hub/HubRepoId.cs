using System.Diagnostics.CodeAnalysis;

namespace HcpModelFs.Hub;

/// <summary>
/// A validated Hub model repo id: <c>namespace/name</c> or a legacy one-segment <c>name</c>.
/// ASCII subset of the Hub's rule (spec §1.1): letters, digits, <c>- _ .</c>; each part starts and ends on a
/// letter, digit or <c>_</c>; no <c>--</c> or <c>..</c>; no trailing <c>.git</c>; name at most 96 characters.
/// Ids go into URLs unencoded, which is safe because the alphabet needs no escaping.
/// </summary>
public readonly record struct HubRepoId
{
    public const int MaxNameLength = 96;

    private HubRepoId(string? ns, string name)
    {
        Namespace = ns;
        Name = name;
        Value = ns is null ? name : ns + "/" + name;
    }

    /// <summary>The namespace (user or organisation), or null for a legacy id.</summary>
    public string? Namespace { get; }

    public string Name { get; }

    /// <summary>The id as it appears in URLs: <c>ns/name</c> or <c>name</c>.</summary>
    public string Value { get; }

    public static HubRepoId Parse(string value) =>
        TryParse(value, out var id, out var error)
            ? id
            : throw new FormatException($"Invalid Hub repo id '{value}': {error}");

    public static bool TryParse([NotNullWhen(true)] string? value, out HubRepoId id) =>
        TryParse(value, out id, out _);

    public static bool TryParse([NotNullWhen(true)] string? value, out HubRepoId id, out string? error)
    {
        id = default;
        if (string.IsNullOrEmpty(value))
        {
            error = "empty";
            return false;
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && value.IndexOf('/', slash + 1) >= 0)
        {
            error = "more than one '/'";
            return false;
        }

        string? ns = slash >= 0 ? value[..slash] : null;
        var name = slash >= 0 ? value[(slash + 1)..] : value;
        if (ns is not null && !ValidatePart(ns, int.MaxValue, out error))
        {
            error = "namespace " + error;
            return false;
        }

        if (!ValidatePart(name, MaxNameLength, out error))
        {
            error = "name " + error;
            return false;
        }

        id = new HubRepoId(ns, name);
        return true;
    }

    public override string ToString() => Value ?? string.Empty;

    private static bool ValidatePart(string part, int maxLength, out string? error)
    {
        error = null;
        if (part.Length == 0)
        {
            error = "is empty";
            return false;
        }

        if (part.Length > maxLength)
        {
            error = $"is longer than {maxLength} characters";
            return false;
        }

        foreach (var c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error = $"contains '{c}' (allowed: ASCII letters, digits, '-', '_', '.')";
                return false;
            }
        }

        if (!IsEdgeChar(part[0]) || !IsEdgeChar(part[^1]))
        {
            error = "must start and end with a letter, digit or '_'";
            return false;
        }

        if (part.Contains("--", StringComparison.Ordinal) || part.Contains("..", StringComparison.Ordinal))
        {
            error = "contains '--' or '..'";
            return false;
        }

        if (part.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            error = "ends with '.git'";
            return false;
        }

        return true;
    }

    private static bool IsEdgeChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
