using System.Security.Cryptography;
using HcpModelFs.Core.Cache;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Ingest;
using HcpModelFs.Core.Transfer;
using HcpModelFs.Hub;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests.Ingest;

/// <summary>The one-pass upload of a big file: part sizes and order, hashing in file order from the part buffers, no completion on wrong bytes.</summary>
public sealed class MultipartWriterTests
{
    private const int BlockSize = 1 << 20;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Parts_are_block_aligned_in_order_each_read_once_and_the_object_is_byte_exact()
    {
        var content = RandomNumberGenerator.GetBytes((17 << 20) + 4321);
        var file = State(content);
        var store = new InMemoryObjectStore();
        var reads = new List<(long Offset, int Length)>();
        using var slots = new PartPipeline(4, 8 << 20);
        using var hasher = Hasher(file);
        var writer = new MultipartWriter(store, slots);
        var partSize = MultipartWriter.PartSizeFor(content.Length, BlockSize);

        var info = await writer.WriteAsync(file, partSize, Reader(content, reads), hasher, hasher.Completion, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal(5L << 20, partSize); // 5 blocks of 1 MiB: S3's 5 MiB minimum
        Assert.Equal(content.Length, info.Size);
        Assert.Equal(content, await ReadAllAsync(store, file.File.CacheId.Key));
        Assert.Equal([(0L, 5 << 20), (5L << 20, 5 << 20), (10L << 20, 5 << 20), (15L << 20, (2 << 20) + 4321)], reads.Order());
        Assert.Equal(4, store.Count("upload_part"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), file.Sha256);
        // The block CRCs for the manifest came from the same pass.
        var crcs = file.Blocks!.Decode(content.Length, BlockSize)!;
        Assert.Equal(Crc32C.Compute(content.AsSpan(3 << 20, BlockSize)), crcs[3]);
        Assert.Equal((2 * 4, 4, 4), slots.Free);
    }

    [Fact]
    public async Task Parts_landing_out_of_order_are_hashed_in_file_order()
    {
        var content = RandomNumberGenerator.GetBytes(20 << 20);
        var file = State(content);
        using var hasher = Hasher(file);
        // Part 0 lands last: every later part has to wait for it before it is hashed.
        var part0 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var othersIn = 0;
        PartFill read = async (part, destination, ct) =>
        {
            var offset = part.Offset;
            if (offset == 0)
            {
                await part0.Task.WaitAsync(ct);
            }
            else if (Interlocked.Increment(ref othersIn) == 3)
            {
                part0.SetResult();
            }

            content.AsMemory((int)offset, destination.Length).CopyTo(destination);
        };
        using var slots = new PartPipeline(8, 8 << 20);

        await new MultipartWriter(new InMemoryObjectStore(), slots).WriteAsync(file, 5L << 20, read, hasher, hasher.Completion, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await hasher.Completion);
    }

    [Fact]
    public async Task More_parts_than_slots_never_deadlock_on_the_hash_order()
    {
        // 2 slots per stage (4 buffers), 12 parts, and the first part of each pair slower than the second: parts take
        // buffers in file order, so the part the hash waits for always holds one.
        var content = RandomNumberGenerator.GetBytes(60 << 20);
        var file = State(content);
        using var hasher = Hasher(file);
        PartFill read = async (part, destination, ct) =>
        {
            var offset = part.Offset;
            await Task.Yield();
            if (offset / (5L << 20) % 2 == 0)
            {
                await Task.Delay(5, ct);
            }

            content.AsMemory((int)offset, destination.Length).CopyTo(destination);
        };
        using var slots = new PartPipeline(2, 8 << 20);

        await new MultipartWriter(new InMemoryObjectStore(), slots).WriteAsync(file, 5L << 20, read, hasher, hasher.Completion, CancellationToken.None).WaitAsync(Bounded);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), file.Sha256);
    }

    [Fact]
    public async Task Wrong_bytes_abort_the_upload_and_never_complete_an_object()
    {
        var content = RandomNumberGenerator.GetBytes(12 << 20);
        var file = State(content);
        var corrupt = (byte[])content.Clone();
        corrupt[7 << 20] ^= 1;
        var store = new InMemoryObjectStore();
        using var hasher = Hasher(file);
        using var slots = new PartPipeline(4, 8 << 20);

        await Assert.ThrowsAsync<IngestFailedException>(() =>
            new MultipartWriter(store, slots).WriteAsync(file, 5L << 20, Reader(corrupt, []), hasher, hasher.Completion, CancellationToken.None).WaitAsync(Bounded));

        Assert.Equal(0, store.Count("complete_multipart"));
        Assert.Equal(1, store.Count("abort_multipart"));
        Assert.NotNull(file.Failure);
        Assert.Equal((2 * 4, 4, 4), slots.Free);
    }

    [Fact]
    public async Task A_failed_part_stops_the_others_aborts_and_gives_up_the_hash_so_a_reader_can_run_its_own()
    {
        var content = RandomNumberGenerator.GetBytes(12 << 20);
        var file = State(content);
        var store = new InMemoryObjectStore();
        using var hasher = Hasher(file);
        using var slots = new PartPipeline(4, 8 << 20);
        PartFill read = (part, destination, ct) => part.Offset == 5L << 20
            ? ValueTask.FromException(new IOException("the Hub went away"))
            : Reader(content, [])(part, destination, ct);

        await Assert.ThrowsAsync<IOException>(() =>
            new MultipartWriter(store, slots).WriteAsync(file, 5L << 20, read, hasher, hasher.Completion, CancellationToken.None).WaitAsync(Bounded));

        Assert.True(hasher.Completion.IsCanceled);
        Assert.Null(file.Failure);
        Assert.Equal(1, store.Count("abort_multipart"));
        Assert.Equal((2 * 4, 4, 4), slots.Free);
    }

    private static IngestFileState State(byte[] content)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var id = new CacheObjectId("models/acme/m/abc/model.safetensors", "abc", content.Length, sha);
        return new IngestFileState(new RevisionFile("model.safetensors", "model.safetensors", content.Length, id), new HubFile("model.safetensors", content.Length, "oid", sha));
    }

    private static InOrderHasher Hasher(IngestFileState file) =>
        new(HubDigestCheck.For(file, BlockSize), digest => HubDigestCheck.Verify(file, digest, "acme/m", NullLogger.Instance));

    private static PartFill Reader(byte[] content, List<(long, int)> reads) => (part, destination, ct) =>
    {
        lock (reads)
        {
            reads.Add((part.Offset, destination.Length));
        }

        content.AsMemory((int)part.Offset, destination.Length).CopyTo(destination);
        return ValueTask.CompletedTask;
    };

    private static async Task<byte[]> ReadAllAsync(InMemoryObjectStore store, string key)
    {
        var info = await store.HeadAsync(key, CancellationToken.None);
        Assert.NotNull(info);
        var bytes = new byte[info.Size];
        await store.ReadRangeAsync(key, 0, bytes, null, CancellationToken.None);
        return bytes;
    }
}
