using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Hub;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Ingest;

/// <summary>A follower's reads: the first block from the Hub at once, the rest from the holder's object, each wait bounded.</summary>
public sealed class IngestFollowerTests
{
    private const int BlockSize = 4096;
    private const long Size = 4L * BlockSize;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryObjectStore _store = new();
    private readonly CountingHub _hub = new();
    private readonly IngestFileState _file;
    private readonly IngestFollower _follower;

    public IngestFollowerTests()
    {
        var id = new CacheObjectId("models/acme/m/abc/model.bin", "abc", Size, new string('0', 64));
        _file = new IngestFileState(new RevisionFile("model.bin", "model.bin", Size, id), new HubFile("model.bin", Size, "oid", new string('0', 64)));
        var options = new IngestOptions { NodeId = "follower", FollowWait = Wait, FollowPollInterval = Poll };
        _follower = new IngestFollower(_store, _hub, options, _time, NullLogger.Instance, "acme/m", CancellationToken.None);
    }

    [Fact]
    public async Task The_first_block_comes_from_the_Hub_at_once()
    {
        var buffer = new byte[BlockSize];

        await _follower.ReadAsync(_file, _file.File.CacheId, 0, BlockSize, buffer, CancellationToken.None).AsTask().WaitAsync(Bounded);

        Assert.Equal(1, _hub.Reads);
        Assert.All(buffer, b => Assert.Equal(CountingHub.Fill, b));
    }

    [Fact]
    public async Task A_later_block_waits_for_the_holders_object_and_reads_it_from_the_store()
    {
        var buffer = new byte[BlockSize];
        var waiting = _follower.ReadAsync(_file, _file.File.CacheId, 2 * BlockSize, BlockSize, buffer, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        var content = new byte[Size];
        Array.Fill(content, (byte)0x55);
        await _store.PutAsync(_file.File.CacheId.Key, content, CancellationToken.None); // the holder completed the file

        await AdvanceUntilAsync(() => waiting.IsCompleted);
        await waiting;

        Assert.Equal(0, _hub.Reads);
        Assert.All(buffer, b => Assert.Equal(0x55, b));
        Assert.True(_file.InStore);
    }

    [Fact]
    public async Task Once_the_wait_ran_out_later_blocks_come_from_the_Hub_at_once_so_no_reader_waits_twice()
    {
        var first = new byte[BlockSize];
        var waiting = _follower.ReadAsync(_file, _file.File.CacheId, BlockSize, BlockSize, first, CancellationToken.None).AsTask();
        await AdvanceUntilAsync(() => waiting.IsCompleted);
        await waiting;
        Assert.Equal(1, _hub.Reads); // the holder had not finished within the wait

        // A block fetch waits holding one of the cache's fetch slots: a second wait per file could stack behind the
        // first one past the FUSE request limit.
        var second = new byte[BlockSize];
        var next = _follower.ReadAsync(_file, _file.File.CacheId, 2 * BlockSize, BlockSize, second, CancellationToken.None);

        Assert.True(next.IsCompleted);
        Assert.Equal(2, _hub.Reads);
        Assert.All(second, b => Assert.Equal(CountingHub.Fill, b));
    }

    /// <summary>Moves the clock a poll interval at a time until the follower's background wait got there (bounded).</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Bounded);
        while (!condition())
        {
            _time.Advance(Poll);
            await Task.Delay(10, deadline.Token);
        }
    }

    private sealed class CountingHub : IBlockSource
    {
        public const byte Fill = 0xAA;
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            destination.Span.Fill(Fill);
            return ValueTask.CompletedTask;
        }
    }
}
