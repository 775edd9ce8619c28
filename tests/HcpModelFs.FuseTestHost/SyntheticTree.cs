using System.Globalization;
using System.Text;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// The shape of the synthetic test filesystem: every path, its size and content seed. Shared by the daemon that
/// serves it and by the tests that check it, so expectations are computed, not copied.
/// </summary>
public static class SyntheticTree
{
    public const long BigFileSize = 3L << 30;
    public const int ManyCount = 10_000;
    public const string StallFile = "stall.bin";

    /// <summary>Content "generation N\n", bumped on SIGHUP and announced to the kernel with INVAL_INODE.</summary>
    public const string GenerationFile = "generation.txt";

    /// <summary>64 KiB pushed into the page cache with NOTIFY_STORE on SIGHUP.</summary>
    public const string PushedFile = "pushed.bin";

    /// <summary>Missing (a cached negative entry) until SIGHUP, then present; announced with INVAL_ENTRY.</summary>
    public const string LateFile = "late.txt";

    public const int PushedSize = 64 * 1024;

    public static string GenerationText(int generation) => $"generation {generation:D4}\n";

    public static readonly string LongName = new string('L', 251) + ".bin"; // 255 bytes
    public static readonly string[] Utf8Names = ["héllo wörld.txt", "日本語のファイル.bin", "emoji-😀.txt", "space name.txt"];

    /// <summary>Files as (relative path, size, seed). Directories are implied by the paths.</summary>
    public static IReadOnlyList<(string Path, long Size, ulong Seed)> Files { get; } = Build();

    public static string ManyName(int i) => "f" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static List<(string Path, long Size, ulong Seed)> Build()
    {
        var files = new List<(string, long, ulong)>
        {
            ("empty.bin", 0, 1),
            ("one.bin", 1, 2),
            ("odd-4097.bin", 4097, 3),
            ("odd-1000003.bin", 1_000_003, 4),
            ("odd-8388609.bin", 8_388_609, 5),
            ("big-3g.bin", BigFileSize, 6),
            ("nested/a/b/c/deep.txt", 12_345, 7),
            ("nested/a/sibling.bin", 65_537, 8),
            ("nested/empty-dir/.keep", 0, 9),
            (StallFile, 1 << 20, 10),
            ("names/" + LongName, 255, 11),
        };
        ulong seed = 100;
        foreach (var name in Utf8Names)
        {
            files.Add(("names/" + name, Encoding.UTF8.GetByteCount(name) * 7, seed++));
        }

        for (var i = 0; i < ManyCount; i++)
        {
            files.Add(("many/" + ManyName(i), (i % 97) + 1, 1000UL + (ulong)i));
        }

        return files;
    }
}
