namespace HcpModelFs.Fuse;

/// <summary>The kernel's handle for an inode (fuse nodeid). 1 is the root and is never looked up.</summary>
public readonly record struct NodeId(ulong Value)
{
    public static readonly NodeId Root = new(1);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
