using System.Globalization;
using System.Text;
using HcpModelFs.FuseTestHost;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Fuse;

/// <summary>
/// The FUSE layer on a real kernel mount, driven from other processes with the tools users run. Expected values
/// come from SyntheticTree/SyntheticContent, computed independently of the filesystem.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class SyntheticMountTests : IClassFixture<SyntheticMountFixture>
{
    private readonly SyntheticMountFixture _fixture;

    public SyntheticMountTests(SyntheticMountFixture fixture) => _fixture = fixture;

    private string Root => _fixture.Root;

    [Fact]
    public async Task Mount_negotiates_one_MiB_reads_and_appears_read_only_in_mountinfo()
    {
        Assert.Equal(1 << 20, _fixture.Mount.MaxReadSize);
        var mountinfo = await File.ReadAllTextAsync("/proc/self/mountinfo");
        var line = mountinfo.Split('\n').Single(l => l.Contains(" " + Root + " ", StringComparison.Ordinal));
        Assert.Contains(" ro,nosuid,nodev", line, StringComparison.Ordinal);
        Assert.Contains("fuse.hcpfs-test", line, StringComparison.Ordinal);
        Assert.Contains("allow_other", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ls_la_lists_types_permissions_and_sizes()
    {
        var result = await Run("ls", "-la", "--time-style=+X", Root);
        Assert.Equal(0, result.ExitCode);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("dr-xr-xr-x", StringComparison.Ordinal) && l.EndsWith(" nested", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("-r--r--r--", StringComparison.Ordinal) && l.Contains(" 3221225472 X big-3g.bin", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" 0 X empty.bin", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith(" .", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith(" ..", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stat_reports_exact_size_and_type_of_every_file()
    {
        var files = SyntheticTree.Files.Where(f => !f.Path.StartsWith("many/", StringComparison.Ordinal)).ToList();
        var result = await ProcessRunner.RunAsync("stat", ["-c", "%s|%F|%b", .. files.Select(f => Path.Combine(Root, f.Path))], ProcessRunner.DefaultTimeout);
        Assert.Equal(0, result.ExitCode);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(files.Count, lines.Length);
        for (var i = 0; i < files.Count; i++)
        {
            var expectedBlocks = (files[i].Size + 511) / 512;
            var expectedType = files[i].Size == 0 ? "regular empty file" : "regular file";
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{files[i].Size}|{expectedType}|{expectedBlocks}"), lines[i]);
        }
    }

    [Fact]
    public async Task Find_lists_every_path_exactly_once()
    {
        var result = await ProcessRunner.ShellAsync($"cd '{Root}' && find . -mindepth 1 | LC_ALL=C sort");
        Assert.Equal(0, result.ExitCode);
        var expected = new SortedSet<string>(StringComparer.Ordinal) { "./" + SyntheticTree.GenerationFile, "./" + SyntheticTree.PushedFile };
        foreach (var (path, _, _) in SyntheticTree.Files)
        {
            var parts = path.Split('/');
            for (var i = 1; i <= parts.Length; i++)
            {
                expected.Add("./" + string.Join('/', parts[..i]));
            }
        }

        var actual = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Count, actual.Length);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sha256sum_of_every_small_file_matches_its_content()
    {
        var files = SyntheticTree.Files.Where(f => f.Size < (1 << 30) && f.Path != SyntheticTree.StallFile).ToList();
        var list = Path.Combine(Path.GetTempPath(), "hcpfs-files-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(list, string.Join('\0', files.Select(f => f.Path)) + "\0");
        try
        {
            var result = await ProcessRunner.ShellAsync($"cd '{Root}' && xargs -0 -n 500 sha256sum < '{list}'", TimeSpan.FromMinutes(5));
            Assert.True(result.ExitCode == 0, result.ToString());
            var digests = ParseSha256(result.StandardOutput);
            Assert.Equal(files.Count, digests.Count);
            foreach (var (path, size, seed) in files)
            {
                Assert.Equal(SyntheticContent.Sha256Hex(seed, size), digests[path]);
            }
        }
        finally
        {
            File.Delete(list);
        }
    }

    [Fact]
    public async Task Sha256sum_of_the_3_GiB_file_matches_its_content()
    {
        var (path, size, seed) = SyntheticTree.Files.Single(f => f.Size == SyntheticTree.BigFileSize);
        var expected = Task.Run(() => SyntheticContent.Sha256Hex(seed, size));
        var result = await ProcessRunner.RunAsync("sha256sum", [Path.Combine(Root, path)], TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(await expected, result.StandardOutput.Split(' ')[0]);
    }

    [Theory]
    [InlineData("4K", 4096)]
    [InlineData("1M", 1 << 20)]
    public async Task Dd_reads_exact_bytes_with_block_size(string blockSize, int blockBytes)
    {
        var (path, size, seed) = SyntheticTree.Files.Single(f => f.Path == "odd-8388609.bin");
        var result = await ProcessRunner.ShellAsync($"dd if='{Path.Combine(Root, path)}' bs={blockSize} status=none | sha256sum");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(SyntheticContent.Sha256Hex(seed, size), result.StandardOutput.Split(' ')[0]);

        // A range deep inside the 3 GiB file, read with skip: offsets above 2^31 must come out right.
        var big = SyntheticTree.Files.Single(f => f.Size == SyntheticTree.BigFileSize);
        var skipBlocks = (SyntheticTree.BigFileSize - (7L << 20)) / blockBytes;
        var count = (4 << 20) / blockBytes;
        var ranged = await ProcessRunner.ShellAsync(
            $"dd if='{Path.Combine(Root, big.Path)}' bs={blockSize} skip={skipBlocks} count={count} status=none | sha256sum");
        Assert.True(ranged.ExitCode == 0, ranged.ToString());
        Assert.Equal(Sha256OfRange(big.Seed, skipBlocks * blockBytes, 4 << 20), ranged.StandardOutput.Split(' ')[0]);
    }

    [Fact]
    public async Task Dd_past_end_of_file_reads_nothing()
    {
        var (path, _, _) = SyntheticTree.Files.Single(f => f.Path == "odd-4097.bin");
        var result = await ProcessRunner.ShellAsync($"dd if='{Path.Combine(Root, path)}' bs=4096 skip=2 status=none | wc -c");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0", result.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("big-3g.bin")]
    [InlineData("odd-1000003.bin")]
    public async Task Mmap_reader_in_another_process_reads_exact_bytes_at_random_offsets(string name)
    {
        var (path, size, seed) = SyntheticTree.Files.Single(f => f.Path == name);
        var result = await ProcessRunner.RunAsync(
            "dotnet",
            [FuseTestMount.HostDll, "mmap-check", Path.Combine(Root, path), seed.ToString(CultureInfo.InvariantCulture),
             size.ToString(CultureInfo.InvariantCulture), "2000", "42"],
            TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("OK 2000", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Thirty_two_concurrent_readers_all_get_exact_bytes()
    {
        // 32 processes at once: 16 over distinct 64 MiB ranges of the big file, 16 over whole smaller files.
        var big = SyntheticTree.Files.Single(f => f.Size == SyntheticTree.BigFileSize);
        var small = SyntheticTree.Files.Where(f => f.Size > 4096 && f.Size < (1 << 30) && f.Path != SyntheticTree.StallFile).ToList();
        var jobs = new List<(Task<ProcessResult> Run, string Expected)>();
        for (var i = 0; i < 16; i++)
        {
            var offset = (long)i * 3 * (64 << 20);
            jobs.Add((ProcessRunner.ShellAsync(
                $"dd if='{Path.Combine(Root, big.Path)}' bs=1M skip={offset >> 20} count=64 status=none | sha256sum", TimeSpan.FromMinutes(5)),
                Sha256OfRange(big.Seed, offset, 64 << 20)));
        }

        for (var i = 0; i < 16; i++)
        {
            var file = small[i % small.Count];
            jobs.Add((ProcessRunner.RunAsync("sha256sum", [Path.Combine(Root, file.Path)], TimeSpan.FromMinutes(5)),
                SyntheticContent.Sha256Hex(file.Seed, file.Size)));
        }

        foreach (var (run, expected) in jobs)
        {
            var result = await run;
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(expected, result.StandardOutput.Split(' ')[0]);
        }
    }

    [Theory]
    [InlineData("touch '{0}/new-file'")]
    [InlineData("mkdir '{0}/new-dir'")]
    [InlineData("rm '{0}/one.bin'")]
    [InlineData("mv '{0}/one.bin' '{0}/two.bin'")]
    [InlineData("chmod 777 '{0}/one.bin'")]
    [InlineData("echo x > '{0}/one.bin'")]
    [InlineData("ln -s one.bin '{0}/link'")]
    [InlineData("rmdir '{0}/nested/empty-dir'")]
    public async Task Write_operations_fail_with_read_only_file_system(string command)
    {
        var result = await ProcessRunner.ShellAsync(string.Format(CultureInfo.InvariantCulture, command, Root));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Read-only file system", result.StandardError, StringComparison.Ordinal);
        var still = await Run("stat", "-c", "%s", Path.Combine(Root, "one.bin"));
        Assert.Equal("1", still.StandardOutput.Trim());
    }

    [Fact]
    public async Task Missing_paths_are_enoent()
    {
        var result = await Run("stat", Path.Combine(Root, "does-not-exist"), Path.Combine(Root, "nested/a/nope/deeper"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(2, result.StandardError.Split("No such file or directory").Length - 1);
    }

    [Fact]
    public async Task Ten_thousand_entry_directory_lists_every_name_once_across_many_getdents_calls()
    {
        // ls -f reads in 32 KiB getdents chunks: ~300 READDIR requests resumed from our cookies.
        var result = await Run("ls", "-f", Path.Combine(Root, "many"));
        Assert.Equal(0, result.ExitCode);
        var names = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(SyntheticTree.ManyCount + 2, names.Length);
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        var expected = Enumerable.Range(0, SyntheticTree.ManyCount).Select(SyntheticTree.ManyName).Append(".").Append("..");
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));

        // The same listing with small getdents buffers (find) must agree.
        var count = await ProcessRunner.ShellAsync($"find '{Path.Combine(Root, "many")}' -type f | wc -l");
        Assert.Equal(SyntheticTree.ManyCount.ToString(CultureInfo.InvariantCulture), count.StandardOutput.Trim());
    }

    [Fact]
    public async Task Long_and_utf8_names_are_listed_and_readable()
    {
        var result = await Run("ls", "-1", Path.Combine(Root, "names"));
        Assert.Equal(0, result.ExitCode);
        var listed = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(SyntheticTree.LongName, listed);
        Assert.Equal(255, Encoding.UTF8.GetByteCount(SyntheticTree.LongName));
        foreach (var name in SyntheticTree.Utf8Names)
        {
            Assert.Contains(name, listed);
            var file = SyntheticTree.Files.Single(f => f.Path == "names/" + name);
            var digest = await Run("sha256sum", Path.Combine(Root, "names", name));
            Assert.Equal(SyntheticContent.Sha256Hex(file.Seed, file.Size), digest.StandardOutput.Split(' ')[0]);
        }

        var tooLong = await Run("stat", Path.Combine(Root, "names", new string('x', 256)));
        Assert.Contains("File name too long", tooLong.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Statfs_answers_df()
    {
        var result = await Run("stat", "-f", "-c", "%S %b %l", Root);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("4096 1048576 255", result.StandardOutput.Trim());
    }

    private static Task<ProcessResult> Run(string file, params string[] arguments) => ProcessRunner.RunAsync(file, arguments);

    private static Dictionary<string, string> ParseSha256(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => (Digest: l[..64], Path: l[66..]))
            .ToDictionary(x => x.Path, x => x.Digest, StringComparer.Ordinal);

    private static string Sha256OfRange(ulong seed, long offset, int length)
    {
        var buffer = new byte[length];
        SyntheticContent.Fill(seed, offset, buffer);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer));
    }
}
