using System.Buffers;
using System.Globalization;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.FileSystem;
using HcpModelFs.Core.Prefetch;
using Microsoft.AspNetCore.Http;

namespace HcpModelFs.Http;

/// <summary>HEAD/GET resolve: headers clients verify with, then the bytes streamed from the block cache.</summary>
internal sealed partial class HubRequestHandler
{
    // Not ArrayPool.Shared: its trimming and per-thread copies churn multi-MiB arrays on the large-object heap, which
    // fragments (the soak's RSS grew with the live heap flat). This keeps up to 16 chunks per size, allocated once.
    private static readonly ArrayPool<byte> ChunkPool = ArrayPool<byte>.Create(8 << 20, 16);

    private async Task ResolveFileAsync(RequestState s, ModelRevision revision)
    {
        var context = s.Context;
        var response = context.Response;
        var commit = FileIdentity.CommitOf(revision);
        var path = s.Route.Path;
        var file = Find(revision, path);
        if (file is null)
        {
            // With X-Repo-Commit, so huggingface_hub records the miss in its .no_exist cache.
            await WriteErrorAsync(s, HubError.EntryNotFound(path, s.Route.Revision ?? "main"), commit);
            return;
        }

        var id = FileIdentity.Of(revision, file);
        var headers = response.Headers;
        headers["X-Repo-Commit"] = commit;
        headers.ETag = Quote(id.ETag);
        headers.AcceptRanges = "bytes";
        if (id.IsLfs)
        {
            headers["X-Linked-Etag"] = Quote(id.Sha256!);
            headers["X-Linked-Size"] = file.Size.ToString(CultureInfo.InvariantCulture);
        }

        if (context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm &&
            inm.Split(',').Any(t => t.Trim().Replace("W/", string.Empty, StringComparison.Ordinal) == Quote(id.ETag) || t.Trim() == "*"))
        {
            response.StatusCode = 304;
            return;
        }

        var range = ByteRange.Parse(context.Request.Headers.Range.ToString(), file.Size, out var unsatisfiable);
        if (unsatisfiable && file.Size == 0)
        {
            // No range of an empty file exists, but @huggingface/hub probes every file with bytes=0-0 and reads the
            // size from Content-Range: the whole (empty) file, with the total it needs, is what lets it proceed.
            response.StatusCode = 200;
            response.ContentType = OctetStream;
            response.ContentLength = 0;
            headers.ContentRange = "bytes */0";
            return;
        }

        if (unsatisfiable)
        {
            headers.ContentRange = "bytes */" + file.Size.ToString(CultureInfo.InvariantCulture);
            await WriteErrorAsync(s, new HubError(416, null, $"Range {context.Request.Headers.Range} not satisfiable for a file of {file.Size} bytes"), commit);
            return;
        }

        var start = range?.Start ?? 0;
        var length = range?.Length ?? file.Size;
        response.StatusCode = range is null ? 200 : 206;
        response.ContentType = OctetStream;
        response.ContentLength = length;
        if (range is { } r)
        {
            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {r.Start}-{r.End}/{file.Size}");
        }

        if (HttpMethods.IsHead(context.Request.Method) || length == 0)
        {
            return;
        }

        var reader = FileReader.Open(revision, file, _cache, _store, _ingest);
        await StreamAsync(s, reader, start, length);
    }

    private async Task StreamAsync(RequestState s, FileReader reader, long start, long length)
    {
        var ct = s.Context.RequestAborted;
        var fileId = reader.Id;
        var blockSize = _cache.BlockSize;
        using var pin = _cache.Pin(fileId);
        // A range within one block needs no read-ahead (the JS client's 0-0 probe must not start a whole-file fetch).
        using var prefetch = _prefetcher is not null && length > blockSize ? _prefetcher.Open(fileId, reader.Source) : Prefetcher.None;
        var hit = _cache.FirstMissingBlock(fileId, start / blockSize, ((start + length - 1) / blockSize) + 1) < 0;
        HttpMetrics.ResolveCache.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
        var chunk = Math.Min(blockSize, Math.Max(64 * 1024, _options.ChunkBytes));
        // Two pooled buffers: the next chunk is read from the cache while the current one drains to the socket, so
        // disk (or store) and network overlap as the kernel's readahead overlaps them for the mount.
        byte[][] buffers = [ChunkPool.Rent(chunk), ChunkPool.Rent(chunk)];
        var body = s.Context.Response.Body;
        var end = start + length;
        Task<int>? pending = null;
        try
        {
            var position = start;
            var n = ChunkAt(position);
            pending = ReadChunkAsync(position, 0, n);
            for (var i = 0; position < end; i++)
            {
                int got;
                try
                {
                    got = await pending!;
                    pending = null;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && s.BodyBytes > 0)
                {
                    pending = null;
                    // Headers and part of the body are out: the only honest signal left is a broken connection.
                    HttpLog.AbortedMidBody(_logger, s.Context.Request.Method, s.Route.Name, s.RawPath, s.BodyBytes, HubError.Kind(ex), ex.Message);
                    s.Context.Abort();
                    return;
                }

                if (got != n)
                {
                    throw new IOException($"short read of {fileId.Key} at {position}: {got} of {n} bytes");
                }

                var current = buffers[i & 1];
                var next = position + n;
                var nextLength = next < end ? ChunkAt(next) : 0;
                if (nextLength > 0)
                {
                    pending = ReadChunkAsync(next, (i + 1) & 1, nextLength);
                }

                await body.WriteAsync(current.AsMemory(0, n), ct);
                s.BodyBytes += n;
                HttpMetrics.ResponseBytes.Add(n, new KeyValuePair<string, object?>("route", s.Route.Name));
                position = next;
                n = nextLength;
            }
        }
        finally
        {
            if (pending is not null)
            {
                // A read still filling a buffer must end before the buffer goes back to the pool.
                try
                {
                    await pending;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The response already failed; this read's outcome no longer matters.
                }
            }

            ChunkPool.Return(buffers[0]);
            ChunkPool.Return(buffers[1]);
        }

        // The largest chunk at position that stays inside one block and the range.
        int ChunkAt(long position)
        {
            var blockEnd = ((position / blockSize) + 1) * blockSize;
            return (int)Math.Min(Math.Min(chunk, end - position), blockEnd - position);
        }

        async Task<int> ReadChunkAsync(long position, int buffer, int count)
        {
            _prefetcher?.OnRead(fileId, position, count);
            return await reader.ReadAsync(position, buffers[buffer].AsMemory(0, count), ct);
        }
    }
}
