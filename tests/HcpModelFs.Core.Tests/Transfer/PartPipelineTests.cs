using HcpModelFs.Core.Transfer;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Tests.Transfer;

/// <summary>The part pipeline of ingest, import and upload: fills overlap uploads, memory stays bounded, failures stop everything and leak nothing.</summary>
public sealed class PartPipelineTests
{
    private const int PartSize = 1 << 16;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Trimming_an_idle_pipeline_lets_its_buffers_go_and_a_busy_one_keeps_them()
    {
        using var pipeline = new PartPipeline(2, 1 << 20);
        byte[] first;
        using (var lease = await pipeline.RentAsync(1 << 20, CancellationToken.None))
        {
            first = ArrayOf(lease.Memory);
            pipeline.TrimIdle(); // a part is out: nothing is dropped
        }

        using (var lease = await pipeline.RentAsync(1 << 20, CancellationToken.None))
        {
            Assert.Same(first, ArrayOf(lease.Memory)); // pooled, and kept while busy
        }

        pipeline.TrimIdle();
        using (var lease = await pipeline.RentAsync(1 << 20, CancellationToken.None))
        {
            Assert.NotSame(first, ArrayOf(lease.Memory)); // the idle pool was let go
        }

        Assert.Equal(4, pipeline.Free.Buffers);
    }

    private static byte[] ArrayOf(Memory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    [Fact]
    public async Task The_next_part_fills_while_the_previous_one_uploads()
    {
        // One slot per stage: with one slot held across fill and upload, part 2 could not start filling before part 1's
        // upload finished, and this test would time out.
        using var pipeline = new PartPipeline(1, PartSize);
        var uploadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondFilling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PartFill fill = (part, buffer, ct) =>
        {
            if (part.Number == 2)
            {
                secondFilling.TrySetResult();
            }

            buffer.Span.Fill((byte)part.Number);
            return ValueTask.CompletedTask;
        };
        PartUpload upload = async (part, bytes, ct) =>
        {
            if (part.Number == 1)
            {
                await uploadGate.Task.WaitAsync(ct);
            }

            return new PartETag(part.Number, "e" + part.Number);
        };

        var run = pipeline.RunAsync(Parts(3), fill, fillInOrder: false, null, upload, null, CancellationToken.None);
        await secondFilling.Task.WaitAsync(Bounded);
        Assert.False(run.IsCompleted);
        uploadGate.SetResult();
        var etags = await run.WaitAsync(Bounded);

        Assert.Equal(["e1", "e2", "e3"], etags.Select(e => e.ETag));
        Assert.Equal((2, 1, 1), pipeline.Free);
    }

    [Fact]
    public async Task Parts_filled_but_not_uploaded_never_exceed_the_buffers()
    {
        const int slots = 2;
        using var pipeline = new PartPipeline(slots, PartSize);
        var uploadsOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var filled = 0;
        var uploaded = 0;
        var maxHeld = 0;
        PartFill fill = (part, buffer, ct) =>
        {
            var held = Interlocked.Increment(ref filled) - Volatile.Read(ref uploaded);
            InterlockedMax(ref maxHeld, held);
            if (held >= 2 * slots)
            {
                uploadsOpen.TrySetResult();
            }

            return ValueTask.CompletedTask;
        };
        PartUpload upload = async (part, bytes, ct) =>
        {
            // Uploads hold back until the fills have taken every buffer: an unbounded pipeline would fill all 20 parts.
            await uploadsOpen.Task.WaitAsync(ct);
            await Task.Yield();
            Interlocked.Increment(ref uploaded);
            return new PartETag(part.Number, "e");
        };

        await pipeline.RunAsync(Parts(20), fill, fillInOrder: false, null, upload, null, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal(20, uploaded);
        Assert.InRange(maxHeld, 1, 2 * slots);
        Assert.Equal((2 * slots, slots, slots), pipeline.Free);
    }

    [Fact]
    public async Task Parts_are_hashed_in_file_order_from_the_buffer_they_were_filled_into()
    {
        using var pipeline = new PartPipeline(4, PartSize);
        var hashed = new List<(int Index, byte First)>();
        var hashTurn = 0;
        var othersIn = 0;
        var part1 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PartFill fill = async (part, buffer, ct) =>
        {
            // Part 1 lands after parts 2-4 (4 fill slots).
            if (part.Number == 1)
            {
                await part1.Task.WaitAsync(ct);
            }
            else if (Interlocked.Increment(ref othersIn) == 3)
            {
                part1.SetResult();
            }

            buffer.Span.Fill((byte)part.Number);
        };
        PartHash hash = async (index, bytes, ct) =>
        {
            while (Volatile.Read(ref hashTurn) != index)
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
            }

            lock (hashed)
            {
                hashed.Add((index, bytes.Span[0]));
            }

            Interlocked.Increment(ref hashTurn);
        };

        await pipeline.RunAsync(Parts(6), fill, fillInOrder: false, hash, null, null, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)], hashed.Select(h => (h.Index, (int)h.First)));
        Assert.Equal((8, 4, 4), pipeline.Free);
    }

    [Fact]
    public async Task A_streaming_source_is_filled_one_part_at_a_time_in_order()
    {
        using var pipeline = new PartPipeline(4, PartSize);
        var order = new List<int>();
        var filling = 0;
        var overlapped = false;
        PartFill fill = async (part, buffer, ct) =>
        {
            overlapped |= Interlocked.Increment(ref filling) > 1;
            await Task.Yield();
            lock (order)
            {
                order.Add(part.Number);
            }

            Interlocked.Decrement(ref filling);
        };
        PartUpload upload = (part, bytes, ct) => Task.FromResult(new PartETag(part.Number, "e"));

        await pipeline.RunAsync(Parts(7), fill, fillInOrder: true, null, upload, null, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], order);
        Assert.False(overlapped);
    }

    [Fact]
    public async Task A_failed_upload_stops_the_other_parts_reports_its_own_error_and_returns_every_slot()
    {
        using var pipeline = new PartPipeline(2, PartSize);
        var otherCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = 0;
        PartFill fill = (part, buffer, ct) => ValueTask.CompletedTask;
        PartUpload upload = async (part, bytes, ct) =>
        {
            if (part.Number == 2)
            {
                throw new StoreException(StoreErrorKind.Unavailable, "the store went away");
            }

            try
            {
                // Part 1 would wait for ever: only the failure of part 2 ends it.
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                otherCancelled.TrySetResult();
                throw;
            }

            return new PartETag(part.Number, "e");
        };

        var ex = await Assert.ThrowsAsync<StoreException>(() =>
            pipeline.RunAsync(Parts(10), fill, fillInOrder: false, null, upload, _ => Interlocked.Increment(ref done), CancellationToken.None).WaitAsync(Bounded));

        Assert.Equal("the store went away", ex.Message);
        Assert.True(otherCancelled.Task.IsCompleted);
        Assert.Equal(0, done);
        Assert.Equal((4, 2, 2), pipeline.Free);
    }

    [Fact]
    public async Task The_caller_cancelling_reports_a_cancellation_and_returns_every_slot()
    {
        using var pipeline = new PartPipeline(2, PartSize);
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PartFill fill = async (part, buffer, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        };

        var run = pipeline.RunAsync(Parts(5), fill, fillInOrder: false, null, null, null, cancel.Token);
        await started.Task.WaitAsync(Bounded);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Bounded));
        Assert.Equal((4, 2, 2), pipeline.Free);
    }

    private static List<FilePart> Parts(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new FilePart(i + 1, (long)i * PartSize, PartSize))];

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }
}
