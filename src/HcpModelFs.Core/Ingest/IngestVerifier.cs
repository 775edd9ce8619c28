using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
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

    /// <summary>Hashes the file in order through the cache (fetching missing blocks from the Hub) and checks it.</summary>
    public async Task<string> VerifyAsync(IngestFileState file)
    {
        var ct = _stop;
        var id = file.File.CacheId;
        var blockSize = _cache.BlockSize;
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // Regular git files are checked by their blob id: sha1("blob <size>\0" + content). LFS files (the big
            // ones) need only their sha256: a second hash of every byte would cost CPU the upload needs.
            using var gitSha1 = file.Hub.LfsSha256 is null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA1) : null;
            gitSha1?.AppendData(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {id.Size}\0")));
            // Per-block CRCs go into the manifest, so every later reader checks each block end to end as it fetches it.
            var crcs = new uint[(id.Size + blockSize - 1) / blockSize];
            for (long offset = 0; offset < id.Size; offset += blockSize)
            {
                var length = (int)Math.Min(blockSize, id.Size - offset);
                await ReadAsync(file, offset, buffer.AsMemory(0, length), ct);
                sha256.AppendData(buffer, 0, length);
                gitSha1?.AppendData(buffer, 0, length);
                crcs[offset / blockSize] = Crc32C.Compute(buffer.AsSpan(0, length));
            }

            var actual = Convert.ToHexStringLower(sha256.GetHashAndReset());
            var blob = gitSha1 is null ? null : Convert.ToHexStringLower(gitSha1.GetHashAndReset());
            var reason = file.Hub.LfsSha256 is { } expected
                ? string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase) ? null : $"sha256 {actual}, the Hub says {expected}"
                : string.Equals(blob, file.Hub.GitOid, StringComparison.OrdinalIgnoreCase) ? null : $"git blob {blob}, the Hub says {file.Hub.GitOid}";
            if (reason is not null)
            {
                IngestLog.Mismatch(_logger, Name, file.File.Path, reason);
                var failure = new IngestFailedException($"{Name}/{file.File.Path} from the Hub does not match its metadata ({reason}).");
                file.Failure = failure;
                throw failure;
            }

            file.Blocks = BlockChecksums.From(blockSize, crcs);
            return actual;
        }
        catch (HubException ex) when (ex.Kind == HubErrorKind.Integrity)
        {
            // The Hub client checks whole-file reads itself: the same verdict, so the same outcome.
            var failure = new IngestFailedException($"{Name}/{file.File.Path} from the Hub does not match its metadata ({ex.Message}).", ex);
            file.Failure = failure;
            throw failure;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
