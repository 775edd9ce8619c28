using System.Runtime.InteropServices;
using System.Text;
using HcpModelFs.Fuse.Abi;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Fuse.Session;

/// <summary>
/// Runs what a first reader's `head -c 1` makes the kernel send — INIT, a LOOKUP per path element, OPEN, READ, RELEASE,
/// FORGET — through a throwaway dispatcher over a file system in this process, with the replies
/// discarded and no metrics recorded. The point is the code, not the answers: a ReadyToRun image cannot hold the
/// runtime's generic code instantiated over our types (async builders of the reply types, the value-task sources of
/// a read), so without this the first request of each kind JIT-compiles it while a reader waits (measured on a fresh
/// mount: ~1-1.5 ms per LOOKUP, 3 ms for OPEN, 2 ms from READ to the store request).
/// </summary>
public static class FuseWarmUp
{
    private const int ReadSize = 16 * 1024; // what the kernel asks first for `head -c 1` (one readahead unit, min)

    /// <summary>Walks <paramref name="path"/> from the root, opens and reads the file at its end, and forgets it all.</summary>
    /// <param name="fileSystem">The file system to run the requests against (a throwaway instance, not the mounted one).</param>
    /// <param name="path">Names from the root to a regular file.</param>
    /// <param name="whileReading">
    /// Called once the READ has been handed to the file system and before its reply is awaited: a file system whose
    /// source is held back releases it here, so the code compiled is that of a READ that waits, as a cold reader's does
    /// (a source that answered at once, or after a fixed delay, would race the cold code and find its block ready).
    /// </param>
    /// <param name="cancellationToken">Stops the walk between requests.</param>
    /// <returns>The errno of the first request that failed, or <see cref="Errno.Success"/>.</returns>
    public static async Task<Errno> RunAsync(IFuseFileSystem fileSystem, IReadOnlyList<string> path, Action? whileReading, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dispatcher = new FuseDispatcher(fileSystem, new FuseSessionOptions(), NullLogger.Instance);
        dispatcher.Metrics.Meter.Dispose(); // a disposed meter's instruments record nothing: the operator's figures stay clean
        var sink = new LastReplySink();
        var requests = new RequestWriter();

        var init = new FuseInitIn { Major = FuseConstants.KernelMajor, Minor = FuseConstants.KernelMinor, MaxReadahead = 128 * 1024 };
        await dispatcher.DispatchAsync(requests.Write(FuseOpcode.Init, 1, init), sink);
        if (sink.Error != Errno.Success)
        {
            return sink.Error;
        }

        var looked = new List<ulong>(path.Count);
        var node = 1UL;
        try
        {
            foreach (var name in path)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await dispatcher.DispatchAsync(requests.Write(FuseOpcode.Lookup, node, name), sink);
                if (sink.Error != Errno.Success)
                {
                    return sink.Error;
                }

                node = sink.Read<FuseEntryOut>().NodeId;
                looked.Add(node);
            }

            await dispatcher.DispatchAsync(requests.Write(FuseOpcode.Open, node, new FuseOpenIn { Flags = 0 /* O_RDONLY */ }), sink);
            if (sink.Error != Errno.Success)
            {
                return sink.Error;
            }

            var fh = sink.Read<FuseOpenOut>().Fh;
            var reading = dispatcher.DispatchAsync(requests.Write(FuseOpcode.Read, node, new FuseReadIn { Fh = fh, Offset = 0, ReadSize = ReadSize }), sink);
            whileReading?.Invoke();
            await reading;
            var read = sink.Error;
            await dispatcher.DispatchAsync(requests.Write(FuseOpcode.Release, node, new FuseReleaseIn { Fh = fh }), sink);
            return read != Errno.Success ? read : sink.Error;
        }
        finally
        {
            foreach (var id in looked)
            {
                await dispatcher.DispatchAsync(requests.Write(FuseOpcode.Forget, id, new FuseForgetIn { NLookup = 1 }), sink);
            }
        }
    }

    /// <summary>Builds requests as the kernel lays them out: header, body, and for a LOOKUP a NUL-terminated name.</summary>
    private sealed class RequestWriter
    {
        private ulong _unique;

        public byte[] Write<T>(FuseOpcode opcode, ulong node, T body)
            where T : unmanaged
        {
            var message = new byte[FuseInHeader.Size + Marshal.SizeOf<T>()];
            MemoryMarshal.Write(message.AsSpan(FuseInHeader.Size), in body);
            return WithHeader(message, opcode, node);
        }

        public byte[] Write(FuseOpcode opcode, ulong node, string name)
        {
            var message = new byte[FuseInHeader.Size + Encoding.UTF8.GetByteCount(name) + 1];
            Encoding.UTF8.GetBytes(name, message.AsSpan(FuseInHeader.Size));
            return WithHeader(message, opcode, node);
        }

        private byte[] WithHeader(byte[] message, FuseOpcode opcode, ulong node)
        {
            var header = new FuseInHeader
            {
                Len = (uint)message.Length, Opcode = (uint)opcode, Unique = ++_unique, NodeId = node,
                Uid = 0, Gid = 0, Pid = (uint)Environment.ProcessId,
            };
            MemoryMarshal.Write(message, in header);
            return message;
        }
    }

    /// <summary>Keeps the last reply: its errno and the bytes after the out header.</summary>
    private sealed class LastReplySink : IFuseReplySink
    {
        private byte[] _last = [];

        public Errno Error => _last.Length >= FuseOutHeader.Size ? (Errno)(-MemoryMarshal.Read<FuseOutHeader>(_last).Error) : Errno.EIO;

        public T Read<T>()
            where T : unmanaged => MemoryMarshal.Read<T>(_last.AsSpan(FuseOutHeader.Size));

        public Errno Send(ReadOnlySpan<byte> message)
        {
            _last = message.ToArray();
            return Errno.Success;
        }

        public Errno Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
        {
            _last = [.. header, .. payload];
            return Errno.Success;
        }
    }
}
