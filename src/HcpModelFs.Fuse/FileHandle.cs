namespace HcpModelFs.Fuse;

/// <summary>The filesystem's handle for an open file or directory, echoed back by the kernel on every READ.</summary>
public readonly record struct FileHandle(ulong Value)
{
    public static readonly FileHandle None = new(0);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
