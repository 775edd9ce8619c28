using System.Globalization;
using System.Text;

namespace HcpModelFs.Fuse.Mounting;

/// <summary>
/// Reads /proc/self/mountinfo. The daemon must never stat its own mount (that is a request to itself), so the
/// mount's device numbers come from here.
/// </summary>
public static class MountTable
{
    public const string DefaultPath = "/proc/self/mountinfo";

    public static IReadOnlyList<MountInfoEntry> Read(string path = DefaultPath) => Parse(File.ReadAllText(path));

    public static IReadOnlyList<MountInfoEntry> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<MountInfoEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent maj:min root mountpoint options [optional fields...] - fstype source superoptions
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 2 >= fields.Length)
            {
                continue;
            }

            var device = fields[2].Split(':');
            if (device.Length != 2 ||
                !int.TryParse(device[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ||
                !int.TryParse(device[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
            {
                continue;
            }

            entries.Add(new MountInfoEntry(major, minor, Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2])));
        }

        return entries;
    }

    /// <summary>The last (topmost) mount at exactly <paramref name="mountPoint"/>, or null.</summary>
    public static MountInfoEntry? Find(string mountPoint, string path = DefaultPath)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        MountInfoEntry? found = null;
        foreach (var entry in Read(path))
        {
            if (string.Equals(entry.MountPoint, full, StringComparison.Ordinal))
            {
                found = entry;
            }
        }

        return found;
    }

    public static bool IsFuse(MountInfoEntry entry) =>
        entry.FileSystemType == "fuse" || entry.FileSystemType.StartsWith("fuse.", StringComparison.Ordinal);

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var bytes = new List<byte>(field.Length);
        var raw = Encoding.UTF8.GetBytes(field);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                bytes.Add((byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(raw[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
}
