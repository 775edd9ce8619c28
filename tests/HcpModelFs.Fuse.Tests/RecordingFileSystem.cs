using System.Text;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;

namespace HcpModelFs.Fuse.Tests;

/// <summary>A filesystem for dispatcher tests: records what it was asked, answers what the test configured.</summary>
internal sealed class RecordingFileSystem : FuseFileSystemBase
{
    public static readonly DateTimeOffset MTime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(5);

    public List<string> Calls { get; } = [];

    public List<(ulong Node, ulong Count)> Forgets { get; } = [];

    public Func<CancellationToken, ValueTask<FuseResult<int>>>? ReadBehaviour { get; set; }

    public Exception? ThrowOnLookup { get; set; }

    public FuseOpenReply OpenReply { get; set; } = new(new FileHandle(77), FuseOpenFlags.KeepCache);

    public FuseConnectionInfo? Connection { get; private set; }

    public override void OnInitialized(FuseConnectionInfo connection, IFuseNotifier notifier) => Connection = connection;

    public static FuseEntry FileEntry(ulong node, long size) => new()
    {
        Node = new NodeId(node),
        Generation = 3,
        EntryTimeout = TimeSpan.FromSeconds(7.25),
        AttrTimeout = TimeSpan.FromSeconds(9),
        Attributes = FuseAttributes.File(node, size, MTime),
    };

    public override ValueTask<FuseResult<FuseEntry>> LookupAsync(NodeId parent, ReadOnlyMemory<byte> name, FuseRequestContext context, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(name.Span);
        Calls.Add($"lookup {parent} {text} uid={context.Uid} gid={context.Gid} pid={context.Pid}");
        if (ThrowOnLookup is not null)
        {
            throw ThrowOnLookup;
        }

        return ValueTask.FromResult<FuseResult<FuseEntry>>(text switch
        {
            "hello" => FileEntry(5, 4097),
            "negative" => FuseEntry.Negative(TimeSpan.FromSeconds(2)),
            _ => Errno.ENOENT,
        });
    }

    public override void Forget(NodeId node, ulong lookups) => Forgets.Add((node.Value, lookups));

    public override ValueTask<FuseResult<FuseAttrReply>> GetAttrAsync(NodeId node, FileHandle? handle, FuseRequestContext context, CancellationToken cancellationToken)
    {
        Calls.Add($"getattr {node} fh={handle?.ToString() ?? "none"}");
        return ValueTask.FromResult<FuseResult<FuseAttrReply>>(new FuseAttrReply(FuseAttributes.Directory(node.Value, MTime), TimeSpan.FromMilliseconds(1500)));
    }

    public override ValueTask<FuseResult<FuseOpenReply>> OpenAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken)
    {
        Calls.Add($"open {node} flags={flags:x}");
        return ValueTask.FromResult<FuseResult<FuseOpenReply>>(OpenReply);
    }

    public override ValueTask<FuseResult<int>> ReadAsync(NodeId node, FileHandle handle, long offset, Memory<byte> destination, FuseRequestContext context, CancellationToken cancellationToken)
    {
        Calls.Add($"read {node} fh={handle} off={offset} size={destination.Length}");
        if (ReadBehaviour is not null)
        {
            return ReadBehaviour(cancellationToken);
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination.Span[i] = (byte)(offset + i);
        }

        return ValueTask.FromResult<FuseResult<int>>(destination.Length);
    }

    public override ValueTask ReleaseAsync(NodeId node, FileHandle handle, CancellationToken cancellationToken)
    {
        Calls.Add($"release {node} fh={handle}");
        return ValueTask.CompletedTask;
    }

    public FuseOpenReply OpenDirReply { get; set; } = new(new FileHandle(9), FuseOpenFlags.KeepCache | FuseOpenFlags.CacheDir);

    public override ValueTask<FuseResult<FuseOpenReply>> OpenDirAsync(NodeId node, int flags, FuseRequestContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<FuseResult<FuseOpenReply>>(OpenDirReply);

    public override ValueTask<Errno> ReadDirAsync(NodeId node, FileHandle handle, long offset, DirentWriter writer, FuseRequestContext context, CancellationToken cancellationToken)
    {
        Calls.Add($"readdir{(writer.IsPlus ? "plus" : "")} {node} fh={handle} off={offset}");
        string[] names = ["a", "bcdefghij"];
        for (var i = (int)offset; i < names.Length; i++)
        {
            if (!writer.TryAdd(Encoding.UTF8.GetBytes(names[i]), FileEntry(10 + (ulong)i, i), (ulong)i + 1))
            {
                break;
            }
        }

        return ValueTask.FromResult(Errno.Success);
    }

    public override ValueTask<FuseResult<int>> GetXAttrAsync(NodeId node, ReadOnlyMemory<byte> name, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(name.Span);
        Calls.Add($"getxattr {node} {text} size={destination.Length}");
        if (text != "user.sha256")
        {
            return ValueTask.FromResult<FuseResult<int>>(Errno.ENODATA);
        }

        var value = "abcdef"u8;
        if (value.Length <= destination.Length)
        {
            value.CopyTo(destination.Span);
        }

        return ValueTask.FromResult<FuseResult<int>>(value.Length);
    }
}
