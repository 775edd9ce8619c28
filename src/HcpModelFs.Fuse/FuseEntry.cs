namespace HcpModelFs.Fuse;

/// <summary>
/// A name resolved to an inode (<c>struct fuse_entry_out</c>). Each entry carries its own timeouts: immutable
/// content can be cached by the kernel for hours, dynamic listings for seconds.
/// A <see cref="Node"/> of 0 with a positive <see cref="EntryTimeout"/> is a cached negative entry.
/// </summary>
public readonly record struct FuseEntry
{
    public NodeId Node { get; init; }

    public ulong Generation { get; init; }

    public TimeSpan EntryTimeout { get; init; }

    public TimeSpan AttrTimeout { get; init; }

    public FuseAttributes Attributes { get; init; }

    /// <summary>A negative entry the kernel may remember for <paramref name="timeout"/>.</summary>
    public static FuseEntry Negative(TimeSpan timeout) => new() { Node = new NodeId(0), EntryTimeout = timeout };
}
