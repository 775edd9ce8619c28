namespace HcpModelFs.Fuse;

/// <summary>
/// Optional for an <see cref="IFuseFileSystem"/> that holds file content in memory: a READ the filesystem can answer
/// from memory it already has is written from there, saving a copy of every byte. Asked synchronously before
/// <see cref="IFuseFileSystem.ReadAsync"/>; false (nothing lent) falls back to it.
/// </summary>
public interface IFuseLendingFileSystem
{
    /// <summary>
    /// Lends the reply for a READ of <paramref name="size"/> bytes at <paramref name="offset"/>: exactly what ReadAsync
    /// would have written (possibly fewer bytes at the end of the file). Must not block.
    /// </summary>
    bool TryLendRead(NodeId node, FileHandle handle, long offset, int size, out FuseReadLease lease);

    /// <summary>
    /// A READ that <see cref="TryLendRead"/> could not lend at once, in place of <see cref="IFuseFileSystem.ReadAsync"/>
    /// (same rules, same errors): it may wait, and then either writes into <paramref name="destination"/> or lends the
    /// bytes that became ready in memory — a cold read's bytes arrive while the READ waits, and lending them saves the
    /// copy into the reply buffer.
    /// </summary>
    ValueTask<FuseResult<FuseReadReply>> ReadOrLendAsync(
        NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken);
}
