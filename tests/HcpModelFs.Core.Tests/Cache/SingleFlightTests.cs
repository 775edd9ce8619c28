using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class SingleFlightTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RunAsync_concurrent_callers_share_one_execution()
    {
        var flights = new SingleFlight<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Func<CancellationToken, Task> work = async ct =>
        {
            Interlocked.Increment(ref runs);
            await release.Task.WaitAsync(ct);
        };

        var waiters = Enumerable.Range(0, 5).Select(_ => flights.RunAsync("k", work, CancellationToken.None)).ToArray();
        Assert.All(waiters, t => Assert.False(t.IsCompleted));
        Assert.Equal(1, flights.InFlight);

        release.SetResult();
        await Task.WhenAll(waiters).WaitAsync(Timeout);
        Assert.Equal(1, runs);
        Assert.Equal(0, flights.InFlight);
    }

    [Fact]
    public async Task RunAsync_different_keys_run_separately()
    {
        var flights = new SingleFlight<int>();
        var runs = 0;
        await Task.WhenAll(
            flights.RunAsync(1, _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, CancellationToken.None),
            flights.RunAsync(2, _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, CancellationToken.None))
            .WaitAsync(Timeout);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task RunAsync_cancelled_caller_does_not_cancel_work_others_wait_for()
    {
        var flights = new SingleFlight<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workToken = CancellationToken.None;
        Func<CancellationToken, Task> work = async ct =>
        {
            workToken = ct;
            await release.Task.WaitAsync(ct);
        };

        using var cts = new CancellationTokenSource();
        var leaving = flights.RunAsync("k", work, cts.Token);
        var staying = flights.RunAsync("k", work, CancellationToken.None);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(Timeout));
        Assert.False(workToken.IsCancellationRequested);
        Assert.False(staying.IsCompleted);

        release.SetResult();
        await staying.WaitAsync(Timeout);
    }

    [Fact]
    public async Task RunAsync_when_every_caller_left_cancels_work_and_frees_the_key()
    {
        var flights = new SingleFlight<string>();
        var workCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Func<CancellationToken, Task> blocking = async ct =>
        {
            Interlocked.Increment(ref runs);
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, ct);
            }
            finally
            {
                if (ct.IsCancellationRequested)
                {
                    workCancelled.TrySetResult();
                }
            }
        };

        using var cts = new CancellationTokenSource();
        var only = flights.RunAsync("k", blocking, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => only.WaitAsync(Timeout));
        await workCancelled.Task.WaitAsync(Timeout);

        // A newcomer starts fresh work instead of joining the cancelled one.
        await flights.RunAsync("k", _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task RunAsync_failure_reaches_every_waiter_and_the_next_call_runs_again()
    {
        var flights = new SingleFlight<string>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Func<CancellationToken, Task> failing = async ct =>
        {
            Interlocked.Increment(ref runs);
            await release.Task.WaitAsync(ct);
            throw new IOException("boom");
        };

        var a = flights.RunAsync("k", failing, CancellationToken.None);
        var b = flights.RunAsync("k", failing, CancellationToken.None);
        release.SetResult();
        await Assert.ThrowsAsync<IOException>(() => a.WaitAsync(Timeout));
        await Assert.ThrowsAsync<IOException>(() => b.WaitAsync(Timeout));

        await flights.RunAsync("k", _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task RunAsync_with_cancelled_token_does_not_start_work()
    {
        var flights = new SingleFlight<string>();
        var runs = 0;
        var task = flights.RunAsync("k", _ => { runs++; return Task.CompletedTask; }, new CancellationToken(canceled: true));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Timeout));
        Assert.Equal(0, runs);
        Assert.Equal(0, flights.InFlight);
    }
}
