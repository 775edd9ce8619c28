using System.Globalization;
using System.Text;
using HcpModelFs.Core.Naming;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>One lookup of the fuzz and what lstat(2) in another process said.</summary>
internal sealed record LookupResult(string Directory, byte[] Name, int Errno, long Inode, double Milliseconds)
{
    public const int ENOENT = 2;
    public const int EINVAL = 22;
    public const int ENAMETOOLONG = 36;

    public string Printable => Name.Length > 40 ? $"{Escape(Name.AsSpan(0, 40))}... ({Name.Length} bytes)" : Escape(Name);

    private static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x21 and < 0x7f ? ((char)b).ToString() : string.Create(CultureInfo.InvariantCulture, $"\\x{b:x2}"));
        }

        return text.ToString();
    }
}

/// <summary>
/// Seeded hostile lookup names (random bytes, non-UTF-8, over 255 bytes, "%2F", look-alikes of "..", shell and
/// Unicode oddities; NUL cannot be in a path and '/' separates, so neither is in a name), the Hub's own rule for
/// which of them are repo ids that may legitimately reach the network, and a Perl runner (perl-base is on every
/// Debian) that lstat()s each name from its own process and reports errno, inode and time.
/// </summary>
internal static class LookupFuzz
{
    private const string Script = """
        use strict; use Time::HiRes qw(time);
        open(my $in, '<', $ARGV[0]) or die "input: $!";
        while (my $line = <$in>) {
          chomp $line; my ($dir, $name) = map { pack('H*', $_) } split(/ /, $line, -1);
          my $t = time; my @s = lstat("$dir/$name"); my $ms = (time - $t) * 1000;
          printf("%d %d %.3f\n", @s ? 0 : $! + 0, @s ? $s[1] : 0, $ms);
        }
        """;

    public static IReadOnlyList<byte[]> Names(int seed, int randomCount)
    {
        var names = new List<byte[]>();
        string[] fixedNames =
        [
            "%2F", "%2f", "acme%2Ftiny-llm", "..%2F..%2Fetc", "%2e%2e", "%2E%2E%2F", "...", "....", ". .", " ", "  x", "x ",
            "-", "--", "a--b", "-lead", "trail-", ".hidden", "trail.", "_-", ".git", "x.git", "a..b", "a b", "a\tb",
            "a\nb", "a\\b", "a:b", "a*b", "a?b", "a|b", "\"", "'", "`", "$(id)", ";rm -rf", "a@b@c", "@", "~", "#",
            "ü", "modèle", "模型", "💥", "\u200b", "x\u200b", "\u202eevil", "ＡＣＭＥ", "\u00a0", "\r", "\x7f",
            new string('a', ModelName.MaxLength + 1), new string('b', 255),
        ];
        names.AddRange(fixedNames.Select(Encoding.UTF8.GetBytes));
        names.AddRange(
        [
            [0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
            [0x61, 0xff, 0x62], [0xef, 0xbf, 0xbd], [0xf4, 0x90, 0x80, 0x80],
        ]);
        foreach (var length in (int[])[256, 300, 1000, 4095])
        {
            names.Add(Enumerable.Repeat((byte)'c', length).ToArray());
        }

        var random = new Random(seed);
        for (var i = 0; i < randomCount; i++)
        {
            var name = new byte[random.Next(1, 65)];
            for (var j = 0; j < name.Length; j++)
            {
                do
                {
                    name[j] = (byte)random.Next(1, 256);
                }
                while (name[j] == (byte)'/');
            }

            names.Add(name);
        }

        return names;
    }

    /// <summary>Valid UTF-8 and a Hub repo name: the daemon may ask the store and the Hub about it.</summary>
    public static bool IsRepoName(byte[] name) => Decode(name) is { } text && ModelName.IsValid(text);

    /// <summary>"model@rev" the daemon may resolve (valid model and revision).</summary>
    public static bool IsModelEntry(byte[] name) =>
        Decode(name) is { } text && ModelName.TryParseModelEntry(text, out _, out _);

    public static async Task<IReadOnlyList<LookupResult>> LookUpAsync(IReadOnlyList<(string Directory, byte[] Name)> lookups, string scratch)
    {
        var input = Path.Combine(scratch, $"lookups-{Guid.NewGuid():N}.txt");
        var script = Path.Combine(scratch, "lookup.pl");
        await File.WriteAllTextAsync(script, Script);
        await File.WriteAllLinesAsync(input, lookups.Select(l => $"{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(l.Directory))} {Convert.ToHexStringLower(l.Name)}"));
        var run = await ProcessRunner.RunAsync("perl", [script, input], TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lookups.Count, lines.Length);
        return lines.Select((line, i) =>
        {
            var parts = line.Split(' ');
            return new LookupResult(lookups[i].Directory, lookups[i].Name,
                int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture),
                double.Parse(parts[2], CultureInfo.InvariantCulture));
        }).ToList();
    }

    private static string? Decode(byte[] name)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(name);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
