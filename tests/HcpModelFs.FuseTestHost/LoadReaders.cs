using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// Verifying readers for the reliability scenarios, each run as its own process so the mount is driven as a model
/// loader drives it. Every byte is compared with <see cref="SyntheticContent"/>; every page fault or read is timed.
/// Output: "MAPPED"/"OPENED" once the file is open (so a test knows the reader is about to block on cold data), then
/// "OK bytes=N ops=N worst_ms=X" and exit 0, or "MISMATCH offset=N" and exit 1. An I/O error ends the process with
/// the error (an mmap fault the kernel cannot serve is SIGBUS), which is what a test of shutdown under load expects.
/// </summary>
internal static class LoadReaders
{
    private const int Page = 4096;

    /// <summary>vLLM's pattern: map the shard and touch it page by page in offset order; each fault is timed.</summary>
    public static int MmapVerify(string file, ulong seed)
    {
        var size = new FileInfo(file).Length;
        using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
        Announce("MAPPED");
        var actual = new byte[Page];
        var expected = new byte[Page];
        long worst = 0;
        long pages = 0;
        for (long offset = 0; offset < size; offset += Page)
        {
            var length = (int)Math.Min(Page, size - offset);
            var started = Stopwatch.GetTimestamp();
            view.ReadArray(offset, actual, 0, length);
            worst = Math.Max(worst, Stopwatch.GetTimestamp() - started);
            pages++;
            SyntheticContent.Fill(seed, offset, expected.AsSpan(0, length));
            if (!actual.AsSpan(0, length).SequenceEqual(expected.AsSpan(0, length)))
            {
                Announce(string.Create(CultureInfo.InvariantCulture, $"MISMATCH offset={offset}"));
                return 1;
            }
        }

        Report(size, pages, worst);
        return 0;
    }

    /// <summary>The parallel state-dict loader's pattern: N threads, each reading a contiguous 1/N in fixed-size reads.</summary>
    public static int RangeVerify(string file, ulong seed, int threads, int readSize)
    {
        var size = new FileInfo(file).Length;
        var slice = (size + threads - 1) / threads;
        long worst = 0;
        long reads = 0;
        long mismatch = -1;
        Announce("OPENED");
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            using SafeFileHandle handle = File.OpenHandle(file);
            var actual = GC.AllocateUninitializedArray<byte>(readSize);
            var expected = GC.AllocateUninitializedArray<byte>(readSize);
            var end = Math.Min(size, (i + 1) * slice);
            for (var offset = i * slice; offset < end && Interlocked.Read(ref mismatch) < 0;)
            {
                var started = Stopwatch.GetTimestamp();
                var n = RandomAccess.Read(handle, actual.AsSpan(0, (int)Math.Min(readSize, end - offset)), offset);
                var took = Stopwatch.GetTimestamp() - started;
                InterlockedMax(ref worst, took);
                Interlocked.Increment(ref reads);
                if (n == 0)
                {
                    throw new IOException($"unexpected end of file at {offset}");
                }

                SyntheticContent.Fill(seed, offset, expected.AsSpan(0, n));
                if (!actual.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n)))
                {
                    Interlocked.CompareExchange(ref mismatch, offset, -1);
                }

                offset += n;
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (mismatch >= 0)
        {
            Announce(string.Create(CultureInfo.InvariantCulture, $"MISMATCH offset={mismatch}"));
            return 1;
        }

        Report(size, reads, worst);
        return 0;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static void Report(long bytes, long operations, long worstTicks) =>
        Announce(string.Create(CultureInfo.InvariantCulture,
            $"OK bytes={bytes} ops={operations} worst_ms={Stopwatch.GetElapsedTime(0, worstTicks).TotalMilliseconds:F1}"));

    private static void Announce(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
