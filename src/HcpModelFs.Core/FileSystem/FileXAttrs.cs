using System.Globalization;
using HcpModelFs.Fuse;

namespace HcpModelFs.Core.FileSystem;

/// <summary>
/// What an operator (or a test) can ask a file without opening it: <c>getfattr -n user.hcpmodelfs.reads</c> is the
/// number of READs the daemon served for it since the mount (it stays put while the kernel reads a passthrough file
/// itself); <c>user.hcpmodelfs.passthrough</c> is 1 when its latest open was passed through to the cache file;
/// <c>user.hcpmodelfs.opens</c> counts its open handles (RELEASE reaches the daemon after close(2) has returned).
/// </summary>
internal static class FileXAttrs
{
    private static ReadOnlySpan<byte> ReadsName => "user.hcpmodelfs.reads"u8;

    private static ReadOnlySpan<byte> PassthroughName => "user.hcpmodelfs.passthrough"u8;

    private static ReadOnlySpan<byte> OpensName => "user.hcpmodelfs.opens"u8;

    private static ReadOnlySpan<byte> Names => "user.hcpmodelfs.reads\0user.hcpmodelfs.passthrough\0user.hcpmodelfs.opens\0"u8;

    public static FuseResult<int> Get(FsNode? node, ReadOnlySpan<byte> name, Span<byte> destination)
    {
        if (node is null)
        {
            return Errno.ENOENT;
        }

        Span<byte> value = stackalloc byte[20];
        int length;
        if (node.File is not null && name.SequenceEqual(ReadsName))
        {
            node.Reads.TryFormat(value, out length, provider: CultureInfo.InvariantCulture);
        }
        else if (node.File is not null && name.SequenceEqual(OpensName))
        {
            node.Opens.TryFormat(value, out length, provider: CultureInfo.InvariantCulture);
        }
        else if (node.File is not null && name.SequenceEqual(PassthroughName))
        {
            value[0] = node.Passthrough ? (byte)'1' : (byte)'0';
            length = 1;
        }
        else
        {
            return Errno.ENODATA;
        }

        return Copy(value[..length], destination);
    }

    public static FuseResult<int> List(FsNode? node, Span<byte> destination)
        => node is null ? Errno.ENOENT : node.File is null ? 0 : Copy(Names, destination);

    private static int Copy(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        if (value.Length <= destination.Length)
        {
            value.CopyTo(destination);
        }

        return value.Length;
    }
}
