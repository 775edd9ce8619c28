using HcpModelFs.Fuse.Session;

namespace HcpModelFs.Fuse.Tests;

/// <summary>The start-up warm-up sends what a first `head -c 1` makes the kernel send, and undoes its lookups.</summary>
public sealed class FuseWarmUpTests
{
    [Fact]
    public async Task Walks_the_path_opens_reads_releases_and_forgets_every_node_it_looked_up()
    {
        var fs = new RecordingFileSystem();

        var errno = await FuseWarmUp.RunAsync(fs, ["hello"], null, CancellationToken.None);

        Assert.Equal(Errno.Success, errno);
        Assert.NotNull(fs.Connection); // INIT went first, as from the kernel
        Assert.Collection(
            fs.Calls,
            c => Assert.StartsWith("lookup 1 hello ", c, StringComparison.Ordinal),
            c => Assert.Equal("open 5 flags=0", c),
            c => Assert.Equal("read 5 fh=77 off=0 size=16384", c),
            c => Assert.Equal("release 5 fh=77", c));
        Assert.Equal([(5UL, 1UL)], fs.Forgets);
    }

    [Fact]
    public async Task A_failed_lookup_is_its_errno_and_nothing_is_opened()
    {
        var fs = new RecordingFileSystem();

        var errno = await FuseWarmUp.RunAsync(fs, ["hello", "missing"], null, CancellationToken.None);

        Assert.Equal(Errno.ENOENT, errno);
        Assert.DoesNotContain(fs.Calls, c => c.StartsWith("open", StringComparison.Ordinal));
        Assert.Equal([(5UL, 1UL)], fs.Forgets); // the lookup that succeeded is forgotten
    }

    [Fact]
    public async Task A_failed_read_is_its_errno_and_the_handle_is_still_released()
    {
        var fs = new RecordingFileSystem { ReadBehaviour = _ => ValueTask.FromResult<FuseResult<int>>(Errno.EIO) };

        var errno = await FuseWarmUp.RunAsync(fs, ["hello"], null, CancellationToken.None);

        Assert.Equal(Errno.EIO, errno);
        Assert.Contains("release 5 fh=77", fs.Calls);
        Assert.Equal([(5UL, 1UL)], fs.Forgets);
    }

    [Fact]
    public async Task The_read_callback_runs_while_the_READ_waits_in_the_file_system()
    {
        var answer = new TaskCompletionSource<FuseResult<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fs = new RecordingFileSystem { ReadBehaviour = _ => new ValueTask<FuseResult<int>>(answer.Task) };
        var readWasWaiting = false;

        // The READ is answered only by the callback: without it the warm-up would not finish (bounded here).
        var errno = await FuseWarmUp.RunAsync(fs, ["hello"], () =>
        {
            readWasWaiting = fs.Calls.Contains("read 5 fh=77 off=0 size=16384") && !fs.Calls.Contains("release 5 fh=77");
            answer.SetResult(16384);
        }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Errno.Success, errno);
        Assert.True(readWasWaiting);
    }
}
