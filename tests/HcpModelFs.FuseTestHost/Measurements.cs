using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// Access patterns of real users, timed, for bench/: each prints one line "MBPS x" or "NS_PER_STAT x".
/// Run in its own process so the mount is driven from outside the daemon.
/// </summary>
internal static class Measurements
{
    /// <summary>vLLM's pattern: mmap a shard and touch it page by page in offset order.</summary>
    public static int MmapTouch(string file)
    {
        var size = new FileInfo(file).Length;
        var clock = Stopwatch.StartNew();
        using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
        long sum = 0;
        for (long offset = 0; offset < size; offset += 4096)
        {
            sum += view.ReadByte(offset);
        }

        clock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MBPS {size / clock.Elapsed.TotalSeconds / 1e6:F0} checksum {sum}"));
        return 0;
    }

    /// <summary>The Run:ai streamer's pattern: N descriptors each reading a contiguous 1/N of the file in fixed reads.</summary>
    public static int ParallelRead(string file, int streams, int readSize)
    {
        var size = new FileInfo(file).Length;
        var slice = (size + streams - 1) / streams;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, streams).Select(i => Task.Run(() =>
        {
            using SafeFileHandle handle = File.OpenHandle(file);
            var buffer = GC.AllocateUninitializedArray<byte>(readSize);
            var end = Math.Min(size, (i + 1) * slice);
            for (var offset = i * slice; offset < end;)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(readSize, end - offset)), offset);
                if (n == 0)
                {
                    throw new IOException($"unexpected end of file at {offset}");
                }

                offset += n;
            }
        })).ToArray();
        Task.WaitAll(tasks);
        clock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MBPS {size / clock.Elapsed.TotalSeconds / 1e6:F0}"));
        return 0;
    }

    /// <summary>`ls -l`'s cost: stat every entry of a directory, many times; reports nanoseconds per stat.</summary>
    public static int StatLoop(string directory, int rounds)
    {
        var entries = Directory.GetFileSystemEntries(directory);
        foreach (var entry in entries)
        {
            _ = new FileInfo(entry).Length; // warm
        }

        var clock = Stopwatch.StartNew();
        long total = 0;
        for (var r = 0; r < rounds; r++)
        {
            foreach (var entry in entries)
            {
                var info = new FileInfo(entry);
                total += info.Exists ? info.Length : 0;
            }
        }

        clock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"NS_PER_STAT {clock.Elapsed.TotalNanoseconds / (rounds * (double)entries.Length):F0} entries {entries.Length} bytes {total}"));
        return 0;
    }
}
