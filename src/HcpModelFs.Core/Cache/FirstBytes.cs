namespace HcpModelFs.Core.Cache;

/// <summary>
/// The head of an object's first block while that block is being fetched: its own small GET, checked against the
/// manifest's head CRC, so a cold reader of the first bytes (`head`, a safetensors header) is answered in one short
/// round trip instead of waiting for the whole block and its commit. The fetch publishes the head once checked and
/// closes the slot when the block's load ends; readers take whichever comes first, the head or the block.
/// </summary>
/// <remarks>
/// The head is a plain managed array, not a pooled block buffer: a reader may still copy from it after the block is
/// committed and the slot is closed, and the GC, not a reference count, decides when it is gone. One per cold first
/// block, 256 KiB.
/// </remarks>
internal sealed class FirstBytes
{
    private readonly TaskCompletionSource<byte[]?> _head = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The checked head, or null once the slot closed without one (mismatch, failure, no split fetch).</summary>
    public Task<byte[]?> Head => _head.Task;

    /// <summary>Publishes a head that matched its CRC.</summary>
    public void Publish(byte[] head) => _head.TrySetResult(head);

    /// <summary>The block's load has ended: readers still waiting go on with the block itself.</summary>
    public void Close() => _head.TrySetResult(null);

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes at <paramref name="offset"/> from the head, when the head was
    /// published before the block load <paramref name="load"/> ended; false: wait for the block as usual.
    /// </summary>
    public async ValueTask<bool> TryCopyAsync(long offset, Memory<byte> destination, Task load, CancellationToken cancellationToken)
    {
        await Task.WhenAny(Head, load).WaitAsync(cancellationToken);
        if (!Head.IsCompleted || await Head is not { } head || offset + destination.Length > head.Length)
        {
            return false;
        }

        head.AsMemory((int)offset, destination.Length).CopyTo(destination);
        return true;
    }
}
