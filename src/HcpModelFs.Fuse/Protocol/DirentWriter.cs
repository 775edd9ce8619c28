using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Protocol;

/// <summary>
/// Packs directory records into the kernel's READDIR/READDIRPLUS buffer. Only whole records go in; when the next
/// one does not fit, <see cref="TryAdd"/> returns false and the filesystem stops. In plus mode every record accepted
/// with a non-zero node (other than "." and "..") counts as one lookup of that node: the kernel links it whether
/// or not the user ever sees it.
/// </summary>
public sealed class DirentWriter
{
    private const int MaxNameLength = 1024;
    private readonly Memory<byte> _buffer;
    private int _position;

    public DirentWriter(Memory<byte> buffer, bool plus)
    {
        _buffer = buffer;
        IsPlus = plus;
    }

    /// <summary>True for READDIRPLUS: records carry full entries (and count as lookups).</summary>
    public bool IsPlus { get; }

    public int BytesWritten => _position;

    public int Count { get; private set; }

    /// <summary>
    /// Adds one record. <paramref name="nextOffset"/> is the cookie that resumes the listing after this entry; it must
    /// be non-zero and stable. In plain mode only the inode number and file type of <paramref name="entry"/> are used.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> name, in FuseEntry entry, ulong nextOffset)
    {
        if (name.IsEmpty || name.Length > MaxNameLength || name.Contains((byte)'/'))
        {
            // The kernel rejects the whole reply for one bad record; refuse it here where the bug is.
            throw new ArgumentException("A directory entry name must be 1..1024 bytes without '/'.", nameof(name));
        }

        if (nextOffset == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nextOffset), "Cookie 0 means 'start of directory'.");
        }

        var header = IsPlus ? FuseEntryOut.Size + FuseDirent.HeaderSize : FuseDirent.HeaderSize;
        var recordLength = (header + name.Length + 7) & ~7;
        if (_position + recordLength > _buffer.Length)
        {
            return false;
        }

        var record = _buffer.Span.Slice(_position, recordLength);
        record.Clear();
        var direntOffset = 0;
        if (IsPlus)
        {
            AbiWriter.Write(record, AbiWriter.ToEntryOut(entry));
            direntOffset = FuseEntryOut.Size;
        }

        var dirent = new FuseDirent
        {
            Ino = entry.Attributes.Ino,
            Off = nextOffset,
            NameLen = (uint)name.Length,
            Type = (entry.Attributes.Mode & FuseConstants.SIfMt) >> 12,
        };
        AbiWriter.Write(record[direntOffset..], dirent);
        name.CopyTo(record[(direntOffset + FuseDirent.HeaderSize)..]);
        _position += recordLength;
        Count++;
        return true;
    }
}
