using System.Text;

namespace HcpModelFs.Commands.Cli;

/// <summary>Columns padded to their widest cell, for the text output of listing commands (readable and greppable).</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [headers];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var widths = new int[_rows[0].Length];
        foreach (var row in _rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var line = new StringBuilder();
        foreach (var row in _rows)
        {
            line.Clear();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            writer.WriteLine(line.ToString().TrimEnd());
        }
    }
}
