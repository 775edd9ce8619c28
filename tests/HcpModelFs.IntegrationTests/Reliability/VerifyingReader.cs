namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>What one reader saw: bytes compared and equal, chunks that differed, and the error that ended it early.</summary>
internal sealed record ReadOutcome(string Path, long BytesVerified, long WrongChunks, bool Complete, string? Error)
{
    public override string ToString() =>
        $"{Path}: {BytesVerified} bytes verified, {WrongChunks} wrong chunks, " + (Complete ? "complete" : $"ended early: {Error}");
}

/// <summary>
/// Reads a file through a mount from start to end in 1 MiB preads and compares every chunk with what it must hold.
/// A read that fails (the daemon was killed under it) ends the reader early: that is allowed; a byte that differs is
/// never allowed, and is counted. Runs on its own thread so a blocked pread never blocks the test's scheduler.
/// </summary>
internal static class VerifyingReader
{
    private const int Chunk = 1 << 20;
    private const int FadviseDontNeed = 4;

    /// <param name="path">The file under the mount.</param>
    /// <param name="size">Its expected size.</param>
    /// <param name="fill">Writes the expected bytes at an offset into a span.</param>
    public static Task<ReadOutcome> ReadAsync(string path, long size, Action<long, Span<byte>> fill) =>
        Task.Factory.StartNew(() => Read(path, size, fill), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// One reader cycling through <paramref name="files"/> in order, <paramref name="passes"/> times, until a read
    /// fails (the daemon died under it) or <paramref name="stop"/> is set.
    /// </summary>
    public static async Task<List<ReadOutcome>> CycleAsync(
        IReadOnlyList<(string Path, long Size, Action<long, Span<byte>> Fill)> files, int passes, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(files);
        var outcomes = new List<ReadOutcome>();
        for (var pass = 0; pass < passes && !stop.IsCancellationRequested; pass++)
        {
            foreach (var (path, size, fill) in files)
            {
                var outcome = await ReadAsync(path, size, fill);
                outcomes.Add(outcome);
                if (!outcome.Complete || stop.IsCancellationRequested)
                {
                    return outcomes;
                }
            }
        }

        return outcomes;
    }

    private static ReadOutcome Read(string path, long size, Action<long, Span<byte>> fill)
    {
        var actual = new byte[Chunk];
        var expected = new byte[Chunk];
        long verified = 0;
        long wrong = 0;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            var length = RandomAccess.GetLength(handle);
            if (length != size)
            {
                return new ReadOutcome(path, 0, 1, false, $"size {length}, expected {size}");
            }

            for (long offset = 0; offset < size;)
            {
                var want = (int)Math.Min(Chunk, size - offset);
                var got = RandomAccess.Read(handle, actual.AsSpan(0, want), offset);
                if (got == 0)
                {
                    return new ReadOutcome(path, verified, wrong + 1, false, $"end of file at {offset} of {size}");
                }

                fill(offset, expected.AsSpan(0, got));
                if (actual.AsSpan(0, got).SequenceEqual(expected.AsSpan(0, got)))
                {
                    verified += got;
                }
                else
                {
                    wrong++;
                }

                offset += got;
            }

            // Drop the file's pages: a reader cycling through a model must reach the daemon again, not the page cache.
            _ = posix_fadvise(handle, 0, 0, FadviseDontNeed);
            return new ReadOutcome(path, verified, wrong, true, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ReadOutcome(path, verified, wrong, false, e.Message);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // One trivial syscall; LibraryImport would need unsafe code here.
    private static extern int posix_fadvise(Microsoft.Win32.SafeHandles.SafeFileHandle fd, long offset, long length, int advice);
#pragma warning restore SYSLIB1054, CA5392
}
