using HcpModelFs.Core.Cache;
using HcpModelFs.Store;
using HcpModelFs.Testing.Fakes;

namespace HcpModelFs.Core.Tests.Cache;

public sealed class StoreBlockSourceTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly FaultInjectingObjectStore _store = new(new InMemoryObjectStore());
    private readonly StoreBlockSource _source;

    public StoreBlockSourceTests() => _source = new StoreBlockSource(_store);

    [Theory]
    [InlineData(2048)]
    [InlineData(8192)]
    public async Task A_managed_object_without_block_checksums_whose_size_disagrees_with_its_manifest_fails_at_its_last_block(long manifestSize)
    {
        await _store.PutAsync("m/f", new byte[4096], CancellationToken.None);
        var id = new CacheObjectId("m/f", Commit, manifestSize, new string('0', 64));
        var buffer = new byte[Math.Min(manifestSize, 4096)];
        var error = await Assert.ThrowsAsync<StoreException>(async () => await _source.ReadAsync(id, manifestSize - buffer.Length, buffer, CancellationToken.None));
        Assert.Equal(StoreErrorKind.ObjectChanged, error.Kind);
        Assert.Contains("its manifest says", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_managed_object_of_the_manifest_size_is_read_with_one_head_for_its_last_block_only()
    {
        var bytes = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        await _store.PutAsync("m/f", bytes, CancellationToken.None);
        var id = new CacheObjectId("m/f", Commit, 4096, new string('0', 64));
        var first = new byte[1024];
        await _source.ReadAsync(id, 0, first, CancellationToken.None);
        Assert.Equal(0, _store.Calls("head"));
        var last = new byte[1024];
        await _source.ReadAsync(id, 3072, last, CancellationToken.None);
        Assert.Equal(1, _store.Calls("head"));
        Assert.Equal(bytes[3072..], last);
    }
}
