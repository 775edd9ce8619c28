using System.Text;
using System.Text.RegularExpressions;

namespace HcpModelFs.Commands.Export;

/// <summary>
/// Which files of a model to export, with huggingface_hub's allow_patterns/ignore_patterns rules (fnmatch over the
/// path from the model root): `*` matches any run of characters including '/', `?` one character, `[...]` a class; a
/// pattern ending in '/' matches everything below that folder. No include = every file; an exclude always wins.
/// </summary>
internal sealed class GlobFilter
{
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    public GlobFilter(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(exclude);
        Include = include;
        Exclude = exclude;
        _include = [.. include.Select(Compile)];
        _exclude = [.. exclude.Select(Compile)];
    }

    public static GlobFilter All { get; } = new([], []);

    public IReadOnlyList<string> Include { get; }

    public IReadOnlyList<string> Exclude { get; }

    public bool Matches(string path) =>
        (_include.Length == 0 || _include.Any(r => r.IsMatch(path))) && !_exclude.Any(r => r.IsMatch(path));

    private static Regex Compile(string glob)
    {
        if (glob.EndsWith('/'))
        {
            glob += "*";
        }

        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*':
                    pattern.Append(".*");
                    break;
                case '?':
                    pattern.Append('.');
                    break;
                case '[' when glob.IndexOf(']', i + 1) is var end and > 0:
                    var set = glob[(i + 1)..end];
                    pattern.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                default:
                    pattern.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
