using Xunit;
using System.Security.Cryptography;
using System.Text;
using HcpModelFs.Store;

namespace HcpModelFs.Testing.Store;

/// <summary>
/// The contract every <see cref="IObjectStore"/> keeps; run against the in-memory fake, the local-directory store and
/// S3ObjectStore on Ceph RGW (directly and behind the fault proxy's HCP personality). Where real stores differ, the
/// difference is a capability, asserted here: HCP refuses overwrites (409 -> AlreadyExists); RGW's
/// CompleteMultipartUpload answer has an empty ETag, which the store hides by HEADing afterwards.
/// Each test works under its own random key prefix, so subclasses may share one bucket.
/// </summary>
public abstract class ObjectStoreContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private IObjectStore? _store;

    protected IObjectStore Store => _store ?? throw new InvalidOperationException("not initialised");

    protected string Prefix { get; } = $"contract/{Guid.NewGuid():N}/";

    /// <summary>What detection must find on this store.</summary>
    protected abstract ExclusiveCreateMode ExpectedExclusiveCreate { get; }

    protected virtual bool ExpectedOverwriteAllowed => true;

    protected abstract Task<IObjectStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync().WaitAsync(Timeout);
        await _store.DetectCapabilitiesAsync(Prefix + "probe/", CancellationToken.None).WaitAsync(Timeout);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task DetectCapabilities_on_start_records_modes_and_cleans_up_probe_keys()
    {
        Assert.Equal(ExpectedExclusiveCreate, Store.Capabilities.ExclusiveCreate);
        Assert.Equal(ExpectedOverwriteAllowed, Store.Capabilities.OverwriteAllowed);
        Assert.True(Store.Capabilities.SupportsLeases);
        Assert.True(Store.Capabilities.MultipartSupported);
        Assert.True(Store.Capabilities.DeleteAllowed);
        Assert.Empty(await Collect(Store.ListAsync(Prefix + "probe/", null, CancellationToken.None)));
    }

    [Fact]
    public async Task Head_missing_key_returns_null()
    {
        Assert.Null(await Store.HeadAsync(Prefix + "missing", CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Put_then_head_reports_size_etag_and_store_time()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        var put = await Store.PutAsync(Prefix + "a.bin", RandomBytes(1234, 1), CancellationToken.None).WaitAsync(Timeout);
        var head = await Store.HeadAsync(Prefix + "a.bin", CancellationToken.None).WaitAsync(Timeout);
        Assert.NotNull(head);
        Assert.Equal(1234, head.Size);
        Assert.Equal(1234, put.Size);
        Assert.False(string.IsNullOrEmpty(head.ETag));
        Assert.Equal(put.ETag, head.ETag);
        Assert.InRange(head.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task ReadRange_at_any_offset_returns_exact_bytes()
    {
        var data = RandomBytes((3 << 20) + 17, 2);
        await Store.PutAsync(Prefix + "big.bin", data, CancellationToken.None).WaitAsync(Timeout);
        foreach (var (offset, length) in new[] { (0L, 1), (0L, data.Length), (1L, 4096), ((long)data.Length - 1, 1), (1_000_003L, 2_000_000) })
        {
            var buffer = new byte[length];
            await Store.ReadRangeAsync(Prefix + "big.bin", offset, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
            Assert.True(data.AsSpan((int)offset, length).SequenceEqual(buffer), $"bytes differ at {offset}+{length}");
        }
    }

    [Fact]
    public async Task ReadRange_with_matching_etag_succeeds_and_with_other_etag_throws_ObjectChanged()
    {
        var info = await Store.PutAsync(Prefix + "e.bin", RandomBytes(100, 3), CancellationToken.None).WaitAsync(Timeout);
        var buffer = new byte[10];
        await Store.ReadRangeAsync(Prefix + "e.bin", 5, buffer, info.ETag, CancellationToken.None).AsTask().WaitAsync(Timeout);
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            Store.ReadRangeAsync(Prefix + "e.bin", 5, buffer, "\"0123456789abcdef0123456789abcdef\"", CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.ObjectChanged, e.Kind);
    }

    [Fact]
    public async Task ReadRange_past_end_throws_InvalidRange()
    {
        await Store.PutAsync(Prefix + "short.bin", RandomBytes(100, 4), CancellationToken.None).WaitAsync(Timeout);
        var beyond = await Assert.ThrowsAsync<StoreException>(() =>
            Store.ReadRangeAsync(Prefix + "short.bin", 200, new byte[10], null, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.InvalidRange, beyond.Kind);
        var straddling = await Assert.ThrowsAsync<StoreException>(() =>
            Store.ReadRangeAsync(Prefix + "short.bin", 95, new byte[10], null, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.InvalidRange, straddling.Kind);
    }

    [Fact]
    public async Task ReadRange_missing_key_throws_NotFound()
    {
        var e = await Assert.ThrowsAsync<StoreException>(() =>
            Store.ReadRangeAsync(Prefix + "nope", 0, new byte[10], null, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public async Task List_with_delimiter_returns_objects_and_prefixes_in_byte_order()
    {
        string[] keys = ["b.txt", "a/1", "a/2", "c/d/e", "B.txt", "a.txt", "a-b"];
        foreach (var k in keys)
        {
            await Store.PutAsync(Prefix + "list/" + k, Encoding.UTF8.GetBytes(k), CancellationToken.None).WaitAsync(Timeout);
        }

        var entries = await Collect(Store.ListAsync(Prefix + "list/", "/", CancellationToken.None));
        var names = entries.Select(e => e.Key[(Prefix.Length + 5)..] + (e.IsPrefix ? "(P)" : "")).ToArray();
        Assert.Equal(["B.txt", "a-b", "a.txt", "a/(P)", "b.txt", "c/(P)"], names);
        Assert.Equal(5, entries.Single(e => e.Key.EndsWith("a.txt", StringComparison.Ordinal)).Size);
    }

    [Fact]
    public async Task List_without_delimiter_returns_every_key_across_pages()
    {
        var expected = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            var key = $"{Prefix}page/k{i:D3}";
            expected.Add(key);
            await Store.PutAsync(key, new byte[] { (byte)i }, CancellationToken.None).WaitAsync(Timeout);
        }

        var entries = await Collect(Store.ListAsync(Prefix + "page/", null, CancellationToken.None));
        Assert.Equal(expected, entries.Select(e => e.Key));
        Assert.All(entries, e => Assert.False(e.IsPrefix));
    }

    [Fact]
    public async Task CreateExclusive_on_free_key_returns_true_then_false_and_keeps_first_content()
    {
        var key = Prefix + "lease/1";
        Assert.True(await Store.CreateExclusiveAsync(key, "first"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        Assert.False(await Store.CreateExclusiveAsync(key, "second"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
        var buffer = new byte[5];
        await Store.ReadRangeAsync(key, 0, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal("first", Encoding.UTF8.GetString(buffer));
    }

    [Fact]
    public async Task CreateExclusive_racing_writers_exactly_one_wins()
    {
        var key = Prefix + "lease/race";
        var tasks = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => Store.CreateExclusiveAsync(key, Encoding.UTF8.GetBytes($"writer{i}"), CancellationToken.None)))
            .ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(Timeout);
        Assert.Equal(1, results.Count(r => r));
        var winner = Array.IndexOf(results, true);
        var buffer = new byte[7];
        await Store.ReadRangeAsync(key, 0, buffer, null, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal($"writer{winner}", Encoding.UTF8.GetString(buffer));
    }

    [Fact]
    public async Task Put_on_existing_key_overwrites_or_fails_AlreadyExists_as_capabilities_say()
    {
        var key = Prefix + "twice";
        await Store.PutAsync(key, "one"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout);
        if (Store.Capabilities.OverwriteAllowed)
        {
            var info = await Store.PutAsync(key, "second"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(6, info.Size);
        }
        else
        {
            var e = await Assert.ThrowsAsync<StoreException>(() =>
                Store.PutAsync(key, "second"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout));
            Assert.Equal(StoreErrorKind.AlreadyExists, e.Kind);
            Assert.Equal(3, (await Store.HeadAsync(key, CancellationToken.None).WaitAsync(Timeout))!.Size);
        }
    }

    [Fact]
    public async Task Multipart_complete_assembles_parts_in_order_with_real_etag()
    {
        var key = Prefix + "mp.bin";
        var part1 = RandomBytes(5 << 20, 5);
        var part2 = RandomBytes(70_001, 6);
        var id = await Store.CreateMultipartAsync(key, CancellationToken.None).WaitAsync(Timeout);
        var p2 = await Store.UploadPartAsync(key, id, 2, part2, CancellationToken.None).WaitAsync(Timeout);
        var p1 = await Store.UploadPartAsync(key, id, 1, part1, CancellationToken.None).WaitAsync(Timeout);
        var info = await Store.CompleteMultipartAsync(key, id, [p1, p2], CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(part1.Length + part2.Length, info.Size);
        Assert.False(string.IsNullOrEmpty(info.ETag.Trim('"')));
        var all = new byte[info.Size];
        await Store.ReadRangeAsync(key, 0, all, info.ETag, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(SHA256.HashData(part1.Concat(part2).ToArray()), SHA256.HashData(all));
    }

    [Fact]
    public async Task Multipart_abort_removes_pending_upload_and_creates_nothing()
    {
        var key = Prefix + "aborted.bin";
        var id = await Store.CreateMultipartAsync(key, CancellationToken.None).WaitAsync(Timeout);
        await Store.UploadPartAsync(key, id, 1, RandomBytes(1000, 7), CancellationToken.None).WaitAsync(Timeout);
        var pending = await Collect(Store.ListMultipartUploadsAsync(Prefix, CancellationToken.None));
        Assert.Contains(pending, u => u.Key == key && u.UploadId == id);
        await Store.AbortMultipartAsync(key, id, CancellationToken.None).WaitAsync(Timeout);
        pending = await Collect(Store.ListMultipartUploadsAsync(Prefix, CancellationToken.None));
        Assert.DoesNotContain(pending, u => u.UploadId == id);
        Assert.Null(await Store.HeadAsync(key, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Delete_removes_object_and_is_idempotent()
    {
        var key = Prefix + "del";
        await Store.PutAsync(key, "x"u8.ToArray(), CancellationToken.None).WaitAsync(Timeout);
        await Store.DeleteAsync(key, CancellationToken.None).WaitAsync(Timeout);
        Assert.Null(await Store.HeadAsync(key, CancellationToken.None).WaitAsync(Timeout));
        await Store.DeleteAsync(key, CancellationToken.None).WaitAsync(Timeout);
    }

    protected static async Task<List<T>> Collect<T>(IAsyncEnumerable<T> source)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var list = new List<T>();
        await foreach (var item in source.WithCancellation(cts.Token))
        {
            list.Add(item);
        }

        return list;
    }
}
