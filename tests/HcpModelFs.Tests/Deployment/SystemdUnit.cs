using HcpModelFs.Testing;

namespace HcpModelFs.Tests.Deployment;

/// <summary>systemd/hcpmodelfs.service read as key=value lines per section (repeated keys kept in order).</summary>
internal sealed class SystemdUnit
{
    private readonly List<(string Section, string Key, string Value)> _entries = [];

    private SystemdUnit(string path)
    {
        Path = path;
        var section = string.Empty;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            _entries.Add((section, line[..eq], line[(eq + 1)..]));
        }
    }

    public string Path { get; }

    public static SystemdUnit Load() => new(System.IO.Path.Combine(RepoPaths.Root, "systemd", "hcpmodelfs.service"));

    public IReadOnlyList<string> All(string key, string section = "Service") =>
        [.. _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value)];

    public string? Get(string key, string section = "Service")
    {
        var values = All(key, section);
        return values.Count == 0 ? null : values[^1];
    }

    public IEnumerable<string> Keys(string section = "Service") => _entries.Where(e => e.Section == section).Select(e => e.Key);
}
