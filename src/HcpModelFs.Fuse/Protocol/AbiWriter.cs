using System.Runtime.InteropServices;
using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Protocol;

/// <summary>Converts our API types to kernel structs. Pure functions; serialisation is byte-exact by construction.</summary>
internal static class AbiWriter
{
    public static FuseAttr ToAttr(in FuseAttributes a)
    {
        var seconds = a.ModifiedTime.ToUnixTimeSeconds();
        var nanos = (uint)((a.ModifiedTime.UtcTicks % TimeSpan.TicksPerSecond) * 100);
        var size = a.Size < 0 ? 0UL : (ulong)a.Size;
        return new FuseAttr
        {
            Ino = a.Ino,
            FileSize = size,
            // st_blocks is in 512-byte units; du shows 0 without it.
            Blocks = (size + 511) / 512,
            Atime = (ulong)seconds,
            Mtime = (ulong)seconds,
            Ctime = (ulong)seconds,
            AtimeNsec = nanos,
            MtimeNsec = nanos,
            CtimeNsec = nanos,
            Mode = a.Mode,
            Nlink = a.NLink,
            Uid = a.Uid,
            Gid = a.Gid,
            BlkSize = a.BlockSize,
        };
    }

    public static void SplitTimeout(TimeSpan timeout, out ulong seconds, out uint nanoseconds)
    {
        if (timeout <= TimeSpan.Zero)
        {
            seconds = 0;
            nanoseconds = 0;
            return;
        }

        seconds = (ulong)(timeout.Ticks / TimeSpan.TicksPerSecond);
        nanoseconds = (uint)((timeout.Ticks % TimeSpan.TicksPerSecond) * 100);
    }

    public static FuseEntryOut ToEntryOut(in FuseEntry entry)
    {
        SplitTimeout(entry.EntryTimeout, out var entrySeconds, out var entryNanos);
        SplitTimeout(entry.AttrTimeout, out var attrSeconds, out var attrNanos);
        return new FuseEntryOut
        {
            NodeId = entry.Node.Value,
            Generation = entry.Generation,
            EntryValid = entrySeconds,
            EntryValidNsec = entryNanos,
            AttrValid = attrSeconds,
            AttrValidNsec = attrNanos,
            Attr = entry.Node.Value == 0 ? default : ToAttr(entry.Attributes),
        };
    }

    public static FuseAttrOut ToAttrOut(in FuseAttrReply reply)
    {
        SplitTimeout(reply.Timeout, out var seconds, out var nanos);
        return new FuseAttrOut { AttrValid = seconds, AttrValidNsec = nanos, Attr = ToAttr(reply.Attributes) };
    }

    /// <summary>FOPEN_* flags the kernel accepts together with FOPEN_PASSTHROUGH (fs/fuse/iomode.c FOPEN_PASSTHROUGH_MASK).</summary>
    public const FuseOpenFlags PassthroughCompatible =
        FuseOpenFlags.Passthrough | FuseOpenFlags.DirectIo | FuseOpenFlags.ParallelDirectWrites | FuseOpenFlags.NoFlush;

    /// <summary>
    /// fuse_open_out for OPEN: a backing id turns on FOPEN_PASSTHROUGH and drops the flags the kernel refuses with it
    /// (KEEP_CACHE would fail the user's open with EIO); without one, a stray PASSTHROUGH flag is dropped.
    /// </summary>
    public static FuseOpenOut ToOpenOut(in FuseOpenReply reply) => reply.BackingId != 0
        ? new() { Fh = reply.Handle.Value, OpenFlags = (uint)((reply.Flags | FuseOpenFlags.Passthrough) & PassthroughCompatible), BackingId = reply.BackingId }
        : ToOpenDirOut(reply);

    /// <summary>fuse_open_out for OPENDIR: the kernel has no passthrough for directories.</summary>
    public static FuseOpenOut ToOpenDirOut(in FuseOpenReply reply) =>
        new() { Fh = reply.Handle.Value, OpenFlags = (uint)(reply.Flags & ~FuseOpenFlags.Passthrough) };

    public static FuseKStatFs ToKStatFs(in FuseStatFs s) => new()
    {
        Blocks = s.Blocks,
        BFree = s.BlocksFree,
        BAvail = s.BlocksAvailable,
        Files = s.Files,
        FFree = s.FilesFree,
        BSize = s.BlockSize,
        FrSize = s.BlockSize,
        NameLen = s.NameMax,
    };

    /// <summary>Writes a struct at the start of <paramref name="destination"/> and returns its size.</summary>
    public static int Write<T>(Span<byte> destination, in T value) where T : unmanaged
    {
        var copy = value;
        MemoryMarshal.Write(destination, in copy);
        return Marshal.SizeOf<T>();
    }

    public static void WriteOutHeader(Span<byte> destination, int totalLength, Errno error, ulong unique)
    {
        var header = new FuseOutHeader { Len = (uint)totalLength, Error = -(int)error, Unique = unique };
        MemoryMarshal.Write(destination, in header);
    }
}
