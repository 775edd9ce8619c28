using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Store;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Ingest;

/// <summary>The lease keeper: renews every TTL/3 on the job's clock, survives a store hiccup, and stops the work when another node took over.</summary>
public sealed class LeaseKeeperTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static readonly StoreLayout Layout = new("models/");
    private readonly ManualTimeProvider _time = new();
    private readonly FaultInjectingObjectStore _store = new(new InMemoryObjectStore());

    private static string Prefix => Layout.LeasePrefix("acme", "m", "abc");

    [Fact]
    public async Task Renews_every_third_of_the_ttl_and_survives_a_failed_renewal()
    {
        var lease = await Manager("node-a").TryAcquireAsync("acme", "m", "abc", CancellationToken.None);
        Assert.NotNull(lease);
        await using var keeper = new LeaseKeeper(lease, Ttl, _time, CancellationToken.None);

        await AdvanceUntilAsync(() => lease.Sequence == 2);
        _store.FailNext("create_exclusive", () => new StoreException(StoreErrorKind.Unavailable, "503"));
        var failedBefore = _store.Calls("create_exclusive");
        await AdvanceUntilAsync(() => _store.Calls("create_exclusive") > failedBefore);
        await AdvanceUntilAsync(() => lease.Sequence == 3);

        Assert.False(keeper.Lost);
        Assert.False(keeper.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task A_lease_another_node_took_over_cancels_the_work()
    {
        var lease = await Manager("node-a").TryAcquireAsync("acme", "m", "abc", CancellationToken.None);
        Assert.NotNull(lease);
        await using var keeper = new LeaseKeeper(lease, Ttl, _time, CancellationToken.None);
        // Node b saw the lease unchanged for a TTL (a long GC pause here) and created the next sequence number.
        Assert.True(await Manager("node-b").CreateAsync(Prefix, lease.Sequence + 1, CancellationToken.None));

        await AdvanceUntilAsync(() => keeper.Token.IsCancellationRequested);

        Assert.True(keeper.Lost);
        Assert.Equal(1, lease.Sequence);
    }

    [Fact]
    public async Task Disposing_stops_renewals()
    {
        var lease = await Manager("node-a").TryAcquireAsync("acme", "m", "abc", CancellationToken.None);
        Assert.NotNull(lease);
        var keeper = new LeaseKeeper(lease, Ttl, _time, CancellationToken.None);
        await keeper.DisposeAsync();
        var calls = _store.Calls("create_exclusive");

        _time.Advance(Ttl * 3);

        Assert.Equal(calls, _store.Calls("create_exclusive"));
        Assert.False(keeper.Lost);
    }

    private LeaseManager Manager(string node) =>
        new(_store, Layout, new IngestOptions { NodeId = node, LeaseTtl = Ttl }, _time);

    /// <summary>Moves the clock a renewal interval at a time until the keeper's background work reached the state (bounded).</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Bounded);
        while (!condition())
        {
            _time.Advance(Ttl / 3);
            await Task.Delay(20, deadline.Token);
        }
    }
}
