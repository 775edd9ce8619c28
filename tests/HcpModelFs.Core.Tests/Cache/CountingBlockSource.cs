using System.Collections.Concurrent;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>
/// A block source serving <see cref="TestContent"/>: counts reads, can hold reads of one key (or all) on a gate so
/// concurrency is real rather than timed, and can fail the next N reads.
/// </summary>
internal sealed class CountingBlockSource : IBlockSource
{
    private readonly ConcurrentDictionary<(string Key, long Offset), int> _perRange = new();
    private int _reads;
    private int _failures;

    public int Reads => Volatile.Read(ref _reads);

    /// <summary>When set, reads (of <see cref="GatedKey"/>, or all when it is null) wait for it.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public string? GatedKey { get; set; }

    /// <summary>When set, only reads starting at this offset wait for <see cref="Gate"/>.</summary>
    public long? GatedOffset { get; set; }

    private long _corruptOffset = -1;
    private int _corruptReads;

    /// <summary>Completed by the first read that reaches the gate.</summary>
    public TaskCompletionSource GateReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Yield before serving so reads interleave (random-pattern test).</summary>
    public bool Yield { get; set; }

    /// <summary>When set, <see cref="WhenReadyAsync"/> for <see cref="ReadyGatedKey"/> waits for it (a follower waiting for the holder).</summary>
    public TaskCompletionSource? ReadyGate { get; set; }

    public string? ReadyGatedKey { get; set; }

    /// <summary>Completed by the first WhenReadyAsync that reaches the ready gate.</summary>
    public TaskCompletionSource ReadyGateReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask WhenReadyAsync(CacheObjectId id, long offset, CancellationToken cancellationToken)
    {
        if (ReadyGate is { } gate && ReadyGatedKey == id.Key)
        {
            ReadyGateReached.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }
    }

    public void FailNext(int count) => Volatile.Write(ref _failures, count);

    /// <summary>The next <paramref name="count"/> reads starting at <paramref name="offset"/> come back with their first byte flipped (torn).</summary>
    public void CorruptNext(long offset, int count)
    {
        Volatile.Write(ref _corruptOffset, offset);
        Volatile.Write(ref _corruptReads, count);
    }

    public int ReadsOf(string key, long offset) => _perRange.TryGetValue((key, offset), out var n) ? n : 0;

    public async ValueTask ReadAsync(CacheObjectId id, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        _perRange.AddOrUpdate((id.Key, offset), 1, static (_, n) => n + 1);
        if (Gate is { } gate && (GatedKey is null || GatedKey == id.Key) && (GatedOffset is null || GatedOffset == offset))
        {
            GateReached.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Yield)
        {
            await Task.Yield();
        }

        if (Volatile.Read(ref _failures) > 0 && Interlocked.Decrement(ref _failures) >= 0)
        {
            throw new IOException("injected source failure");
        }

        TestContent.Fill(id.Key, offset, destination.Span);
        if (Volatile.Read(ref _corruptOffset) == offset && !destination.IsEmpty && Interlocked.Decrement(ref _corruptReads) >= 0)
        {
            destination.Span[0] ^= 0xFF;
        }
    }
}
