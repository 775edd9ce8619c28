using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Tests.Cache;
using HcpModelFs.Hub;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Ingest;

/// <summary>
/// A follower's waits: none for a file's first block; any other block waits for the holder's object, each fetch for at
/// most FollowWait of its own (then that block alone comes from the Hub); no readahead until the object is there.
/// </summary>
public sealed class IngestFollowerTests
{
    private const int BlockSize = 4096;
    private const long Size = 4L * BlockSize;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryObjectStore _store = new();
    private readonly ListLogger<IngestFollower> _log = new();
    private readonly IngestFileState _file;
    private readonly IngestFollower _follower;
    private volatile bool _following = true;

    public IngestFollowerTests()
    {
        var id = new CacheObjectId("models/acme/m/abc/model.bin", "abc", Size, new string('0', 64));
        _file = new IngestFileState(new RevisionFile("model.bin", "model.bin", Size, id), new HubFile("model.bin", Size, "oid", new string('0', 64)));
        var options = new IngestOptions { NodeId = "follower", FollowWait = Wait, FollowPollInterval = Poll };
        _follower = new IngestFollower(_store, options, _time, _log, "acme/m", () => _following, CancellationToken.None);
    }

    [Fact]
    public void The_first_block_does_not_wait_and_nothing_is_asked_of_the_store()
    {
        var ready = _follower.WhenReadyAsync(_file, 0, BlockSize, CancellationToken.None);

        Assert.True(ready.IsCompletedSuccessfully);
        Assert.Equal(0, _store.Count("head"));
    }

    [Fact]
    public async Task A_later_block_waits_for_the_holders_object_then_readahead_may_start()
    {
        Assert.False(_follower.CanReadAhead(_file));
        var waiting = _follower.WhenReadyAsync(_file, 2 * BlockSize, BlockSize, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        await _store.PutAsync(_file.File.CacheId.Key, new byte[Size], CancellationToken.None); // the holder completed the file
        await AdvanceUntilAsync(() => waiting.IsCompleted);
        await waiting;

        Assert.True(_file.InStore);
        Assert.True(_follower.CanReadAhead(_file));
        Assert.Equal(0, _log.Count(3120));
    }

    [Fact]
    public async Task Each_fetch_waits_its_own_window_so_a_slow_holder_costs_the_Hub_only_the_blocks_readers_need()
    {
        var first = _follower.WhenReadyAsync(_file, BlockSize, BlockSize, CancellationToken.None).AsTask();
        await AdvanceUntilAsync(() => first.IsCompleted);
        await first; // ran out: the caller reads this one block from the Hub
        Assert.False(_file.InStore);
        Assert.False(_follower.CanReadAhead(_file));
        Assert.Equal(1, _log.Count(3120));

        // The holder is slow, not gone: the next block waits again and gets the holder's object.
        var second = _follower.WhenReadyAsync(_file, 2 * BlockSize, BlockSize, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        await _store.PutAsync(_file.File.CacheId.Key, new byte[Size], CancellationToken.None);
        await AdvanceUntilAsync(() => second.IsCompleted);
        await second;

        Assert.True(_file.InStore);
        Assert.Equal(1, _log.Count(3120)); // one warning per file, not one per block
    }

    [Fact]
    public async Task Waiters_share_one_poll_and_the_poll_ends_when_the_node_stops_following()
    {
        var a = _follower.WhenReadyAsync(_file, BlockSize, BlockSize, CancellationToken.None).AsTask();
        var b = _follower.WhenReadyAsync(_file, 3 * BlockSize, BlockSize, CancellationToken.None).AsTask();
        await AdvanceUntilAsync(() => _store.Count("head") >= 3);
        var heads = _store.Count("head");
        Assert.InRange(heads, 3, 4); // one HEAD per poll interval for both waiters, not one each

        _following = false; // this node took the lease: it reads from the Hub itself
        await AdvanceUntilAsync(() => a.IsCompleted && b.IsCompleted);
        var afterStop = _store.Count("head");
        _time.Advance(Poll * 5);
        Assert.Equal(afterStop, _store.Count("head"));
        Assert.False(_file.InStore);
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
}
