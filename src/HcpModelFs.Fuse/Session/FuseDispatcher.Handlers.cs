using System.Runtime.InteropServices;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.Fuse.Session;

/*
 * The async handlers of the opcode table. Each reads its input struct without a length check (the table's minimum
 * body size has been checked), calls the filesystem and replies once. Variable-size replies are built in a pooled
 * buffer with the header space kept in front, so the filesystem writes straight into the message that is sent.
 */
public sealed partial class FuseDispatcher
{
    private const int OAccMode = 3;
    private const int OTrunc = 0x200;

    /// <summary>A read-only filesystem: opening for writing or truncation is refused before the filesystem is asked.</summary>
    private static Errno RejectWriteOpens(ReadOnlySpan<byte> body)
    {
        var flags = (int)MemoryMarshal.Read<FuseOpenIn>(body).Flags;
        return (flags & OAccMode) != 0 || (flags & OTrunc) != 0 ? Errno.EROFS : Errno.Success;
    }

    private async Task LookupAsync(RequestState state, CancellationToken ct)
    {
        var result = await _fileSystem.LookupAsync(state.Node, state.NameAt(0), state.Context, ct);
        Reply(state, result, static entry => AbiWriter.ToEntryOut(entry));
    }

    private async Task GetAttrAsync(RequestState state, CancellationToken ct)
    {
        var input = MemoryMarshal.Read<FuseGetAttrIn>(state.Body.Span);
        FileHandle? handle = (input.GetAttrFlags & FuseGetAttrIn.FhFlag) != 0 ? new FileHandle(input.Fh) : null;
        var result = await _fileSystem.GetAttrAsync(state.Node, handle, state.Context, ct);
        Reply(state, result, static attr => AbiWriter.ToAttrOut(attr));
    }

    private async Task OpenAsync(RequestState state, CancellationToken ct)
    {
        var flags = (int)MemoryMarshal.Read<FuseOpenIn>(state.Body.Span).Flags;
        var result = await _fileSystem.OpenAsync(state.Node, flags, state.Context, ct);
        Reply(state, result, static reply => AbiWriter.ToOpenOut(reply));
    }

    private async Task OpenDirAsync(RequestState state, CancellationToken ct)
    {
        var flags = (int)MemoryMarshal.Read<FuseOpenIn>(state.Body.Span).Flags;
        var result = await _fileSystem.OpenDirAsync(state.Node, flags, state.Context, ct);
        Reply(state, result, static reply => AbiWriter.ToOpenDirOut(reply));
    }

    private async Task ReleaseAsync(RequestState state, bool directory, CancellationToken ct)
    {
        var handle = new FileHandle(MemoryMarshal.Read<FuseReleaseIn>(state.Body.Span).Fh);
        if (directory)
        {
            await _fileSystem.ReleaseDirAsync(state.Node, handle, ct);
        }
        else
        {
            await _fileSystem.ReleaseAsync(state.Node, handle, ct);
        }

        ReplyEmpty(state);
    }

    private async Task StatFsAsync(RequestState state, CancellationToken ct)
    {
        var result = await _fileSystem.StatFsAsync(state.Node, ct);
        Reply(state, result, static statFs => AbiWriter.ToKStatFs(statFs));
    }

    private async Task ReadAsync(RequestState state, CancellationToken ct)
    {
        var input = MemoryMarshal.Read<FuseReadIn>(state.Body.Span);
        if (input.ReadSize > MaxReplyPayload || input.Offset > long.MaxValue)
        {
            ReplyError(state, Errno.EINVAL);
            return;
        }

        var size = (int)input.ReadSize;
        if (_fileSystem is IFuseLendingFileSystem lending
            && lending.TryLendRead(state.Node, new FileHandle(input.Fh), (long)input.Offset, size, out var lease))
        {
            try
            {
                if (lease.Data.Length > size)
                {
                    throw new InvalidOperationException($"TryLendRead lent {lease.Data.Length} bytes for a {size}-byte request.");
                }

                SendWithPayload(state, lease.Data.Span);
            }
            finally
            {
                lease.Release();
            }

            return;
        }

        // The payload alone (the header goes out beside it, one writev): a 1 MiB READ takes a 1 MiB buffer, not 2.
        var buffer = _pool.Rent(size);
        try
        {
            var destination = buffer.AsMemory(0, size);
            var handle = new FileHandle(input.Fh);
            var result = _fileSystem is IFuseLendingFileSystem waiting
                ? await waiting.ReadOrLendAsync(state.Node, handle, (long)input.Offset, destination, state.Context, ct)
                : ToReply(await _fileSystem.ReadAsync(state.Node, handle, (long)input.Offset, destination, state.Context, ct));
            if (!result.IsSuccess)
            {
                ReplyError(state, result.Error);
                return;
            }

            var reply = result.Value;
            try
            {
                if (reply.Count < 0 || reply.Count > size)
                {
                    throw new InvalidOperationException($"A READ of {size} bytes was answered with {reply.Count}.");
                }

                SendWithPayload(state, reply.IsLent ? reply.Lease.Data.Span : buffer.AsSpan(0, reply.Count));
            }
            finally
            {
                if (reply.IsLent)
                {
                    reply.Lease.Release();
                }
            }
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private static FuseResult<FuseReadReply> ToReply(FuseResult<int> read) =>
        read.IsSuccess ? new FuseReadReply(read.Value) : read.Error;

    private async Task ReadDirAsync(RequestState state, bool plus, CancellationToken ct)
    {
        var input = MemoryMarshal.Read<FuseReadIn>(state.Body.Span);
        var size = (int)Math.Min(input.ReadSize, (uint)MaxReplyPayload);
        var buffer = _pool.Rent(FuseOutHeader.Size + size);
        try
        {
            var writer = new DirentWriter(buffer.AsMemory(FuseOutHeader.Size, size), plus);
            var error = await _fileSystem.ReadDirAsync(state.Node, new FileHandle(input.Fh), (long)input.Offset, writer, state.Context, ct);

            // Records already in the buffer were counted as lookups (plus mode): deliver them even if the listing then
            // failed; the next READDIR surfaces the error.
            if (error != Errno.Success && writer.Count == 0)
            {
                ReplyError(state, error);
                return;
            }

            SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + writer.BytesWritten));
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private async Task XAttrAsync(RequestState state, bool list, CancellationToken ct)
    {
        var requested = (int)Math.Min(MemoryMarshal.Read<FuseGetXAttrIn>(state.Body.Span).XAttrSize, (uint)MaxReplyPayload);
        var buffer = _pool.Rent(FuseOutHeader.Size + Math.Max(requested, FuseGetXAttrOut.Size));
        try
        {
            var destination = buffer.AsMemory(FuseOutHeader.Size, requested);
            var result = list
                ? await _fileSystem.ListXAttrAsync(state.Node, destination, ct)
                : await _fileSystem.GetXAttrAsync(state.Node, state.NameAt(FuseGetXAttrIn.Size), destination, ct);
            if (!result.IsSuccess)
            {
                ReplyError(state, result.Error);
            }
            else if (requested == 0)
            {
                // A size probe is answered with fuse_getxattr_out, never with the value itself.
                ReplyStruct(state, new FuseGetXAttrOut { XAttrSize = (uint)result.Value });
            }
            else if (result.Value > requested)
            {
                ReplyError(state, Errno.ERANGE);
            }
            else
            {
                SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + result.Value));
            }
        }
        finally
        {
            _pool.Return(buffer);
        }
    }

    private async Task ReadLinkAsync(RequestState state, CancellationToken ct)
    {
        const int Capacity = 4096;
        var buffer = _pool.Rent(FuseOutHeader.Size + Capacity);
        try
        {
            var result = await _fileSystem.ReadLinkAsync(state.Node, buffer.AsMemory(FuseOutHeader.Size, Capacity), ct);
            if (!result.IsSuccess)
            {
                ReplyError(state, result.Error);
            }
            else if (result.Value < 0 || result.Value > Capacity)
            {
                ReplyError(state, Errno.ENAMETOOLONG);
            }
            else
            {
                SendWithHeader(state, buffer.AsSpan(0, FuseOutHeader.Size + result.Value));
            }
        }
        finally
        {
            _pool.Return(buffer);
        }
    }
}
