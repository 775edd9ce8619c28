using System.Buffers.Binary;
using System.Text;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.FileSystem;
using HcpModelFs.Core.Prefetch;
using HcpModelFs.Fuse;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Protocol;
using HcpModelFs.Store;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.FileSystem;

/// <summary>ModelFileSystem driven by node ids, as the session drives it, over an in-memory store and cache.</summary>
public sealed class ModelFileSystemTests : IDisposable
{
    private static readonly FuseRequestContext Context = new(2, 0, 0, 1);
    private readonly InMemoryObjectStore _memory = new();
    private readonly FaultInjectingObjectStore _store;
    private readonly InMemoryBlockCache _cache = new(blockSize: 4096);
    private readonly ModelCatalog _catalog;
    private readonly Prefetcher _prefetcher;
    private readonly ModelFileSystem _fs;
    private readonly byte[] _weights = TestModel.Bytes(10_000, 3);
    private TestModel? _model;

    public ModelFileSystemTests()
    {
        _store = new FaultInjectingObjectStore(_memory);
        _catalog = new ModelCatalog(_store, TestModel.Layout, new CatalogOptions(), NullLogger<ModelCatalog>.Instance);
        _prefetcher = new Prefetcher(_cache, new PrefetchOptions(), NullLogger<Prefetcher>.Instance);
        _fs = new ModelFileSystem(_catalog, _cache, new StoreBlockSource(_store), _prefetcher, new ModelFileSystemOptions(), NullLogger<ModelFileSystem>.Instance);
    }

    public void Dispose()
    {
        _model?.Dispose();
        _prefetcher.Dispose();
        _catalog.Dispose();
    }

    [Fact]
    public async Task Lookup_walks_org_model_and_file_and_getattr_reports_the_exact_size()
    {
        await PublishAsync();
        var file = await WalkAsync("acme", "m1", "sub", "w.bin");

        Assert.Equal(FuseConstants.SIfReg | 0x124, file.Attributes.Mode);
        Assert.Equal(_weights.Length, file.Attributes.Size);
        Assert.Equal(TimeSpan.FromHours(1), file.EntryTimeout);
        var attr = await _fs.GetAttrAsync(file.Node, null, Context, CancellationToken.None);
        Assert.Equal(_weights.Length, attr.Value.Attributes.Size);
    }

    [Fact]
    public async Task Read_returns_exact_bytes_across_blocks_and_nothing_at_end_of_file()
    {
        await PublishAsync();
        var file = await WalkAsync("acme", "m1", "sub", "w.bin");
        var open = await _fs.OpenAsync(file.Node, 0, Context, CancellationToken.None);
        // A read-only file has nothing to flush, so close(2) must not wait on a FLUSH round trip.
        Assert.Equal(FuseOpenFlags.KeepCache | FuseOpenFlags.NoFlush, open.Value.Flags);

        var buffer = new byte[6000];
        var n = await _fs.ReadAsync(file.Node, open.Value.Handle, 3000, buffer, Context, CancellationToken.None);
        Assert.Equal(6000, n.Value);
        Assert.Equal(_weights.AsSpan(3000, 6000).ToArray(), buffer);

        var tail = await _fs.ReadAsync(file.Node, open.Value.Handle, 9000, buffer, Context, CancellationToken.None);
        Assert.Equal(1000, tail.Value);
        Assert.Equal(0, (await _fs.ReadAsync(file.Node, open.Value.Handle, 10_000, buffer, Context, CancellationToken.None)).Value);

        Assert.Equal(1, _cache.Pins);
        await _fs.ReleaseAsync(file.Node, open.Value.Handle, CancellationToken.None);
        Assert.Equal(0, _cache.Pins);
    }

    [Fact]
    public async Task Readdir_lists_dots_then_children_and_resumes_from_any_cookie()
    {
        await PublishAsync();
        var model = await WalkAsync("acme", "m1");
        var dir = await _fs.OpenDirAsync(model.Node, 0, Context, CancellationToken.None);
        Assert.Equal(FuseOpenFlags.KeepCache | FuseOpenFlags.CacheDir, dir.Value.Flags);

        var all = await ReadDirAsync(model.Node, dir.Value.Handle, 0, plus: false);
        Assert.Equal([(".", 1UL), ("..", 2UL), ("config.json", 3UL), ("sub", 4UL)], all.Select(e => (e.Name, e.Cookie)));
        var resumed = await ReadDirAsync(model.Node, dir.Value.Handle, 3, plus: false);
        Assert.Equal(["sub"], resumed.Select(e => e.Name));
    }

    [Fact]
    public async Task Readdirplus_counts_a_lookup_per_entry_and_forget_releases_the_nodes()
    {
        await PublishAsync();
        var model = await WalkAsync("acme", "m1");
        var before = _fs.NodeCount;

        var entries = await ReadDirAsync(model.Node, FileHandle.None, 0, plus: true);
        Assert.Equal(before + 2, _fs.NodeCount); // config.json and sub now held by the kernel

        foreach (var (_, _, node) in entries.Where(e => e.Node != 0))
        {
            _fs.Forget(new NodeId(node), 1);
        }

        Assert.Equal(before, _fs.NodeCount);
    }

    [Fact]
    public async Task Model_at_commit_is_found_by_lookup_and_not_listed()
    {
        await PublishAsync();
        var org = await WalkAsync("acme");
        var pinned = await _fs.LookupAsync(org.Node, Encoding.UTF8.GetBytes("m1@" + _model!.Manifest.Commit), Context, CancellationToken.None);
        Assert.True(pinned.IsSuccess);

        var handle = await _fs.OpenDirAsync(org.Node, 0, Context, CancellationToken.None);
        var names = await ReadDirAsync(org.Node, handle.Value.Handle, 0, plus: false);
        Assert.Equal([".", "..", "m1"], names.Select(e => e.Name));
    }

    [Theory]
    [InlineData("bad--org")]
    [InlineData("acme/-m1")]
    [InlineData("acme/m1@..")]
    public async Task Invalid_names_are_enoent_without_store_requests(string path)
    {
        var parent = NodeId.Root;
        var parts = path.Split('/');
        if (parts.Length == 2)
        {
            await PublishAsync();
            parent = (await WalkAsync("acme")).Node;
        }

        var calls = _store.Calls("list") + _store.Calls("head") + _store.Calls("read");
        var result = await _fs.LookupAsync(parent, Encoding.UTF8.GetBytes(parts[^1]), Context, CancellationToken.None);
        Assert.Equal(Errno.ENOENT, result.Error);
        Assert.Equal(calls, _store.Calls("list") + _store.Calls("head") + _store.Calls("read"));
    }

    [Theory]
    [InlineData(1, 256)]
    [InlineData(3, 1024)]
    public async Task Names_longer_than_255_bytes_are_enametoolong_at_every_depth(int depth, int length)
    {
        await PublishAsync();
        var parent = depth == 1 ? NodeId.Root : (await WalkAsync(new[] { "acme", "m1" }[..(depth - 1)])).Node;
        var calls = _store.Calls("list") + _store.Calls("head") + _store.Calls("read");
        var result = await _fs.LookupAsync(parent, Encoding.UTF8.GetBytes(new string('a', length)), Context, CancellationToken.None);
        Assert.Equal(Errno.ENAMETOOLONG, result.Error);
        Assert.Equal(calls, _store.Calls("list") + _store.Calls("head") + _store.Calls("read"));
    }

    [Fact]
    public async Task A_failing_store_turns_a_read_into_eio()
    {
        await PublishAsync();
        var file = await WalkAsync("acme", "m1", "sub", "w.bin");
        var open = await _fs.OpenAsync(file.Node, 0, Context, CancellationToken.None);
        _store.FailNext("read", () => new StoreException(StoreErrorKind.Unavailable, "down"), times: 100);

        var result = await _fs.ReadAsync(file.Node, open.Value.Handle, 0, new byte[4096], Context, CancellationToken.None);
        Assert.Equal(Errno.EIO, result.Error);
    }

    [Fact]
    public async Task Getattr_of_an_unknown_node_is_enoent()
    {
        var result = await _fs.GetAttrAsync(new NodeId(999), null, Context, CancellationToken.None);
        Assert.Equal(Errno.ENOENT, result.Error);
    }

    private async Task PublishAsync() =>
        _model = await TestModel.PublishAsync(_memory, "acme", "m1", new Dictionary<string, byte[]>
        {
            ["config.json"] = "{\"a\":1}"u8.ToArray(),
            ["sub/w.bin"] = _weights,
        });

    private async Task<FuseEntry> WalkAsync(params string[] names)
    {
        var node = NodeId.Root;
        FuseEntry entry = default;
        foreach (var name in names)
        {
            var result = await _fs.LookupAsync(node, Encoding.UTF8.GetBytes(name), Context, CancellationToken.None);
            Assert.True(result.IsSuccess, $"lookup {name}: {result.Error}");
            entry = result.Value;
            node = entry.Node;
        }

        return entry;
    }

    private async Task<List<(string Name, ulong Cookie, ulong Node)>> ReadDirAsync(NodeId node, FileHandle handle, long offset, bool plus)
    {
        var buffer = new byte[8192];
        var writer = new DirentWriter(buffer, plus);
        Assert.Equal(Errno.Success, await _fs.ReadDirAsync(node, handle, offset, writer, Context, CancellationToken.None));
        var entries = new List<(string, ulong, ulong)>();
        var position = 0;
        while (position < writer.BytesWritten)
        {
            var record = buffer.AsSpan(position);
            ulong nodeId = 0;
            if (plus)
            {
                nodeId = BinaryPrimitives.ReadUInt64LittleEndian(record);
                record = record[FuseEntryOut.Size..];
            }

            var cookie = BinaryPrimitives.ReadUInt64LittleEndian(record[8..]);
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
            entries.Add((Encoding.UTF8.GetString(record.Slice(24, length)), cookie, nodeId));
            position += ((plus ? FuseEntryOut.Size : 0) + 24 + length + 7) & ~7;
        }

        return entries;
    }
}
