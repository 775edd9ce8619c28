using System.Buffers;
using HcpModelFs.Core.Cache;
using HcpModelFs.Hub;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// Reads an ingested file through the block cache (missing blocks come from the Hub) and checks it in order against the
/// Hub's metadata: sha256 for LFS files, the git blob id otherwise; records the per-block CRCs for the manifest.
/// </summary>
internal sealed class IngestVerifier(IBlockCache cache, IBlockSource hub, string name, ILogger logger, CancellationToken stop)
{
    private readonly IBlockCache _cache = cache;
    private readonly IBlockSource _hub = hub;
    private readonly ILogger _logger = logger;
    private readonly CancellationToken _stop = stop;

    private string Name { get; } = name;

    /// <summary>Exactly <paramref name="destination"/>'s length of the file at <paramref name="offset"/>, through the cache (missing blocks from the Hub).</summary>
    public async Task ReadAsync(IngestFileState file, long offset, Memory<byte> destination, CancellationToken ct)
    {
        var read = await _cache.ReadAsync(file.File.CacheId, offset, destination, _hub, ct);
        if (read != destination.Length)
        {
            throw new IngestFailedException($"{file.File.Path}: read {read} bytes at {offset}, expected {destination.Length}.");
        }
    }

    /// <summary>
    /// Hashes the file in order through the cache (fetching missing blocks) and checks it: the pass a reader at a file's
    /// end starts when the upload's own in-order hash (<see cref="InOrderHasher"/>) is not running for that file.
    /// </summary>
    public async Task<string> VerifyAsync(IngestFileState file)
    {
        var ct = _stop;
        var id = file.File.CacheId;
        var blockSize = _cache.BlockSize;
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            using var digest = HubDigestCheck.For(file, blockSize);
            for (long offset = 0; offset < id.Size; offset += blockSize)
            {
                var length = (int)Math.Min(blockSize, id.Size - offset);
                await ReadAsync(file, offset, buffer.AsMemory(0, length), ct);
                digest.Append(buffer.AsSpan(0, length));
            }

            return HubDigestCheck.Verify(file, digest, Name, _logger);
        }
        catch (HubException ex) when (ex.Kind == HubErrorKind.Integrity)
        {
            throw Integrity(file, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The Hub client checks whole-file reads itself: the same verdict as a mismatch, so the same outcome.</summary>
    public IngestFailedException Integrity(IngestFileState file, HubException ex)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(ex);
        var failure = new IngestFailedException($"{Name}/{file.File.Path} from the Hub does not match its metadata ({ex.Message}).", ex);
        file.Failure = failure;
        return failure;
    }
}
