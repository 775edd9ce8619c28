using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Session;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Fuse.Tests;

/// <summary>READs a filesystem answers from memory it lends: written from there once, given back once.</summary>
public sealed class FuseReadLeaseTests
{
    private readonly LendingFileSystem _fs = new();
    private readonly CapturingSink _sink = new();
    private readonly BufferPool _pool = new();
    private readonly FuseDispatcher _dispatcher;

    public FuseReadLeaseTests()
    {
        _dispatcher = new FuseDispatcher(_fs, new FuseSessionOptions(), NullLogger.Instance, _pool);
    }

    [Fact]
    public async Task A_lent_read_is_written_from_the_lent_bytes_and_released_once_without_ReadAsync()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);
        _fs.Lend = [1, 2, 3, 4, 5];

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 12, 5, RequestBuilder.ReadIn(77, 4096, 4096)), _sink);

        var reply = _sink.Messages[^1];
        Assert.Equal((16u + 5, 0, 12ul), CapturingSink.Header(reply));
        Assert.Equal([1, 2, 3, 4, 5], reply[16..]);
        Assert.Equal(1, _fs.Releases);
        Assert.Equal(0, _fs.Reads);
        Assert.Equal((77ul, 4096L, 4096), _fs.Asked);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task A_read_nothing_is_lent_for_goes_to_ReadAsync()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 13, 5, RequestBuilder.ReadIn(77, 0, 100)), _sink);

        Assert.Equal((16u + 100, 0, 13ul), CapturingSink.Header(_sink.Messages[^1]));
        Assert.Equal(1, _fs.Reads);
        Assert.Equal(0, _fs.Releases);
    }

    [Fact]
    public async Task A_read_lent_once_it_waited_is_written_from_the_lent_bytes_and_released_once()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);
        _fs.LendAfterWait = [9, 8, 7];

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 14, 5, RequestBuilder.ReadIn(77, 8192, 4096)), _sink);

        var reply = _sink.Messages[^1];
        Assert.Equal((16u + 3, 0, 14ul), CapturingSink.Header(reply));
        Assert.Equal([9, 8, 7], reply[16..]);
        Assert.Equal(1, _fs.Releases);
        Assert.Equal(0, _fs.Reads);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task A_read_that_waited_and_failed_is_answered_with_its_errno_and_nothing_is_released()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);
        _fs.FailAfterWait = true;

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 15, 5, RequestBuilder.ReadIn(77, 0, 4096)), _sink);

        Assert.Equal((16u, -(int)Errno.EIO, 15ul), CapturingSink.Header(_sink.Messages[^1]));
        Assert.Equal(0, _fs.Releases);
        Assert.Equal(0, _pool.Outstanding);
    }

    private sealed class LendingFileSystem : FuseFileSystemBase, IFuseLendingFileSystem
    {
        public byte[]? Lend { get; set; }

        public byte[]? LendAfterWait { get; set; }

        public bool FailAfterWait { get; set; }

        public int Releases { get; private set; }

        public int Reads { get; private set; }

        public (ulong Handle, long Offset, int Size) Asked { get; private set; }

        public bool TryLendRead(NodeId node, FileHandle handle, long offset, int size, out FuseReadLease lease)
        {
            Asked = (handle.Value, offset, size);
            lease = Lend is { } bytes ? new FuseReadLease(bytes, static s => ((LendingFileSystem)s).Releases++, this) : default;
            return Lend is not null;
        }

        public async ValueTask<FuseResult<FuseReadReply>> ReadOrLendAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
        {
            await Task.Yield(); // A READ that waits: the reply is written after the dispatcher's synchronous part.
            if (FailAfterWait)
            {
                return Errno.EIO;
            }

            if (LendAfterWait is { } bytes)
            {
                return new FuseReadReply(new FuseReadLease(bytes, static s => ((LendingFileSystem)s).Releases++, this));
            }

            var read = await ReadAsync(node, handle, offset, destination, context, cancellationToken);
            return new FuseReadReply(read.Value);
        }

        public override ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
        {
            Reads++;
            destination.Span.Clear();
            return ValueTask.FromResult<FuseResult<int>>(destination.Length);
        }
    }
}
