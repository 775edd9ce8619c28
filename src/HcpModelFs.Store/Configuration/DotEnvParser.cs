namespace HcpModelFs.Store.Configuration;

/// <summary>
/// Parses a <c>.env</c> file: <c>KEY=VALUE</c> per line, <c>#</c> comments, optional <c>export </c>, single quotes
/// (literal) and double quotes (with \n, \", \\ escapes); unquoted values lose a trailing <c> # comment</c>.
/// </summary>
public static class DotEnvParser
{
    public static Dictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            result[key] = Unquote(value);
        }

        return result;
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && value[0] == '\'' && value.IndexOf('\'', 1) is var end and > 0)
        {
            return value[1..end];
        }

        if (value.Length >= 2 && value[0] == '"')
        {
            var sb = new System.Text.StringBuilder();
            for (var i = 1; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '"')
                {
                    break;
                }

                if (c == '\\' && i + 1 < value.Length)
                {
                    i++;
                    sb.Append(value[i] switch { 'n' => '\n', 't' => '\t', var other => other });
                    continue;
                }

                sb.Append(c);
            }

            return sb.ToString();
        }

        var hash = value.IndexOf(" #", StringComparison.Ordinal);
        return hash >= 0 ? value[..hash].TrimEnd() : value;
    }
}
