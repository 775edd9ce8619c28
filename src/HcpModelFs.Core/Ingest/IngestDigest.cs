using System.Globalization;
using System.Security.Cryptography;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Ingest;

/// <summary>
/// The hashes of one ingested file, fed its bytes in order once: sha256 (the manifest's), the git blob sha1 for regular
/// git files (the Hub's id for them; LFS files skip it, a second hash of every byte would cost CPU the upload needs) and
/// the CRC32C of each block (the manifest's, so every later reader checks each block end to end as it fetches it).
/// </summary>
internal sealed class IngestDigest : IDisposable
{
    private readonly IngestFileState _file;
    private readonly int _blockSize;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash? _gitSha1;
    private readonly uint[] _crcs;
    private long _length;

    public IngestDigest(IngestFileState file, int blockSize)
    {
        _file = file;
        _blockSize = blockSize;
        var size = file.File.Size;
        _crcs = new uint[(size + blockSize - 1) / blockSize];
        if (file.Hub.LfsSha256 is null)
        {
            _gitSha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            _gitSha1.AppendData(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {size}\0")));
        }
    }

    /// <summary>Bytes hashed so far (the offset the next <see cref="Append"/> must start at).</summary>
    public long Length => _length;

    /// <summary>The next bytes of the file; block-aligned pieces (a block or several, the last may be short).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _sha256.AppendData(data);
        _gitSha1?.AppendData(data);
        while (!data.IsEmpty)
        {
            var block = (int)(_length / _blockSize);
            var inBlock = (int)(_length % _blockSize);
            var n = Math.Min(data.Length, _blockSize - inBlock);
            _crcs[block] = inBlock == 0 ? Crc32C.Compute(data[..n]) : Crc32C.Append(_crcs[block], data[..n]);
            _length += n;
            data = data[n..];
        }
    }

    /// <summary>
    /// Checks the whole file against the Hub's metadata: the sha256 on a match (and the block CRCs recorded on the file),
    /// else the file fails for good with an <see cref="IngestFailedException"/> naming both values.
    /// </summary>
    public string Finish(string model, Action<string> logMismatch)
    {
        ArgumentNullException.ThrowIfNull(logMismatch);
        if (_length != _file.File.Size)
        {
            throw new InvalidOperationException($"{_file.File.Path}: hashed {_length} of {_file.File.Size} bytes.");
        }

        var actual = Convert.ToHexStringLower(_sha256.GetHashAndReset());
        var blob = _gitSha1 is null ? null : Convert.ToHexStringLower(_gitSha1.GetHashAndReset());
        var reason = _file.Hub.LfsSha256 is { } expected
            ? string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase) ? null : $"sha256 {actual}, the Hub says {expected}"
            : string.Equals(blob, _file.Hub.GitOid, StringComparison.OrdinalIgnoreCase) ? null : $"git blob {blob}, the Hub says {_file.Hub.GitOid}";
        if (reason is not null)
        {
            logMismatch(reason);
            var failure = new IngestFailedException($"{model}/{_file.File.Path} from the Hub does not match its metadata ({reason}).");
            _file.Failure = failure;
            throw failure;
        }

        _file.Blocks = BlockChecksums.From(_blockSize, _crcs);
        return actual;
    }

    public void Dispose()
    {
        _sha256.Dispose();
        _gitSha1?.Dispose();
    }
}
