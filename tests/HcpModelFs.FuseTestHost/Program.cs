using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Mounting;
using HcpModelFs.Fuse.Session;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.FuseTestHost;

/// <summary>
/// Test daemon. Usage:
///   synthetic MOUNTPOINT [options]          serve SyntheticTree
///   loopback SOURCE MOUNTPOINT [options]    mirror SOURCE read-only
///   mmap-check FILE SEED SIZE COUNT RANDSEED  map FILE and compare COUNT random pages with SyntheticContent
///   mmap-touch FILE | parallel-read FILE N READSIZE | stat-loop DIR ROUNDS   timed access patterns for bench/
///   mmap-verify FILE SEED | range-verify FILE SEED THREADS READSIZE   verifying, timed readers (see LoadReaders)
/// Options: --fusermount (unprivileged path), --readers N, --read-ahead-kb N|none, --stats (print READ sizes at exit),
/// --passthrough (loopback: answer OPEN with the underlying file as backing file), --no-passthrough (do not even
/// negotiate it at INIT).
/// Prints "PASSTHROUGH granted=BOOL" and then "READY" once mounted; SIGTERM/SIGINT unmount, print
/// "REQUESTS OPCODE=N ..." (every request that reached the daemon, e.g. READ=0 when passthrough served all reads)
/// and exit 0.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: synthetic MNT | loopback SRC MNT | mmap-check FILE SEED SIZE COUNT RANDSEED");
            return 2;
        }

        return args[0] switch
        {
            "synthetic" when args.Length >= 2 => await ServeAsync(args[1], args[2..], (announce, _) => new SyntheticFileSystem(announce)),
            "loopback" when args.Length >= 3 => await ServeAsync(args[2], args[3..], (announce, passthrough) => new LoopbackFileSystem(args[1], passthrough, announce)),
            "mmap-check" when args.Length == 6 => MmapCheck(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture),
                long.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture),
                int.Parse(args[5], CultureInfo.InvariantCulture)),
            "mmap-touch" when args.Length == 2 => Measurements.MmapTouch(args[1]),
            "parallel-read" when args.Length == 4 => Measurements.ParallelRead(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture)),
            "mmap-verify" when args.Length == 3 => LoadReaders.MmapVerify(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture)),
            "range-verify" when args.Length == 5 => LoadReaders.RangeVerify(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture),
                int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)),
            "stat-loop" when args.Length == 3 => Measurements.StatLoop(args[1], int.Parse(args[2], CultureInfo.InvariantCulture)),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("bad arguments");
        return 2;
    }

    private static async Task<int> ServeAsync(string mountPoint, string[] options, Func<Action<string>, bool, IFuseFileSystem> create)
    {
        var logger = new StderrLogger(LogLevel.Information);
        var mountOptions = new FuseMountOptions { FsName = "hcpfs-test", Subtype = "hcpfs-test" };
        var sessionOptions = new FuseSessionOptions();
        var stats = false;
        var passthrough = false;
        for (var i = 0; i < options.Length; i++)
        {
            switch (options[i])
            {
                case "--fusermount":
                    mountOptions = mountOptions with { ForceFusermount = true, AllowOther = false };
                    break;
                case "--readers":
                    sessionOptions = sessionOptions with { ReaderThreads = int.Parse(options[++i], CultureInfo.InvariantCulture) };
                    break;
                case "--read-ahead-kb":
                    var value = options[++i];
                    sessionOptions = sessionOptions with { ReadAheadKb = value == "none" ? null : int.Parse(value, CultureInfo.InvariantCulture) };
                    break;
                case "--stats":
                    stats = true;
                    break;
                case "--passthrough":
                    passthrough = true;
                    break;
                case "--no-passthrough":
                    sessionOptions = sessionOptions with { Passthrough = false };
                    break;
                default:
                    Console.Error.WriteLine("unknown option " + options[i]);
                    return 2;
            }
        }

        var output = new Lock();
        void Announce(string line)
        {
            lock (output)
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
        }

        var fileSystem = create(Announce, passthrough);
        // SIGHUP: the synthetic tree changes and notifies the kernel (off any request thread, as notifications must be).
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            if (fileSystem is SyntheticFileSystem synthetic)
            {
                _ = Task.Run(() => Announce(synthetic.Notify()));
            }
        });
        var recorder = stats ? new ReadSizeRecorder(fileSystem) : null;
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

        FuseSession session;
        try
        {
            session = await FuseSession.StartAsync(mountPoint, recorder ?? fileSystem, mountOptions, sessionOptions, logger, CancellationToken.None);
        }
        catch (FuseMountException ex)
        {
            Console.Error.WriteLine("mount failed: " + ex.Message);
            return 1;
        }

        Announce("PASSTHROUGH granted=" + session.Connection!.Passthrough.ToString(CultureInfo.InvariantCulture));
        Announce("READY " + session.Connection!.MaxReadSize.ToString(CultureInfo.InvariantCulture));
        await Task.WhenAny(stop.Task, session.Completion);
        await session.StopAsync();
        if (recorder is not null)
        {
            Announce("READSIZES " + recorder.Summary());
        }

        Announce("REQUESTS " + string.Join(' ', session.SnapshotRequestCounts().Select(c =>
            string.Create(CultureInfo.InvariantCulture, $"{c.Key.ToString().ToUpperInvariant()}={c.Value}"))));
        Announce("STOPPED");
        return 0;
    }

    private static int MmapCheck(string file, ulong seed, long size, int count, int randomSeed)
    {
        using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
        var random = new Random(randomSeed);
        var expected = new byte[64];
        var actual = new byte[64];
        for (var i = 0; i < count; i++)
        {
            var offset = random.NextInt64(0, Math.Max(1, size - expected.Length));
            var length = (int)Math.Min(expected.Length, size - offset);
            SyntheticContent.Fill(seed, offset, expected.AsSpan(0, length));
            view.ReadArray(offset, actual, 0, length);
            if (!expected.AsSpan(0, length).SequenceEqual(actual.AsSpan(0, length)))
            {
                Console.Error.WriteLine($"mismatch at offset {offset}");
                return 1;
            }
        }

        Console.WriteLine($"OK {count}");
        return 0;
    }
}
