using System.Globalization;
using System.Security.Cryptography;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Catalog;

/*
 * The digests recorded for a file (sha256 and the CRC32C of every block, and for a regular git file its blob sha1, the
 * Hub's id for it), computed in one pass over bytes that may arrive in any order. sha256 is a running hash, so a part
 * waits its turn: AppendAsync returns once its bytes were hashed, and the caller keeps the part's buffer until then
 * (the caller's buffer pool or part slots bound how many wait). Callers that read in order use Append. Every byte is
 * hashed once per algorithm; LFS files skip the sha1 (a second hash of every byte would cost CPU the upload needs).
 */
public sealed class OrderedDigest : IDisposable
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash? _gitSha1;
    private readonly int _blockSize;
    private readonly uint[] _crcs;
    private readonly Dictionary<int, TaskCompletionSource> _turns = [];
    private readonly Lock _lock = new();
    private readonly long _size;
    private readonly bool _head;
    private uint _headCrc;
    private int _next;
    private long _hashed;
    private (string Sha256, BlockChecksums Blocks, string? GitSha1)? _finished;

    /// <param name="size">The file's size.</param>
    /// <param name="blockSize">The block size of the CRCs.</param>
    /// <param name="gitBlob">Also compute the git blob id, sha1("blob &lt;size&gt;\0" + content).</param>
    public OrderedDigest(long size, int blockSize, bool gitBlob = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        _size = size;
        _blockSize = blockSize;
        _crcs = new uint[(size + blockSize - 1) / blockSize];
        _head = BlockChecksums.HasHead(size, blockSize);
        if (gitBlob)
        {
            _gitSha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            _gitSha1.AppendData(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {size}\0")));
        }
    }

    /// <summary>Bytes hashed so far.</summary>
    public long Hashed => Interlocked.Read(ref _hashed);

    /// <summary>Every byte of the file has been hashed.</summary>
    public bool IsComplete => Hashed == _size;

    /// <summary>
    /// Hashes part <paramref name="index"/> (0-based, contiguous, in file order) once every earlier part was. True for
    /// the one call that hashed the file's last byte: a caller that polled <see cref="IsComplete"/> after its own part
    /// could see the last part land meanwhile, and two callers would each settle the file.
    /// </summary>
    public async Task<bool> AppendAsync(int index, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        await Turn(index).Task.WaitAsync(cancellationToken);
        var last = Hash(bytes.Span);
        lock (_lock)
        {
            _turns.Remove(index);
            _next = index + 1;
        }

        Turn(index + 1).TrySetResult();
        return last;
    }

    /// <summary>The next bytes of the file, for a caller that reads in order (not mixed with <see cref="AppendAsync"/>).</summary>
    public void Append(ReadOnlySpan<byte> bytes) => Hash(bytes);

    /// <summary>
    /// The digests once every byte was appended; <c>GitSha1</c> is null unless asked for. Computed once: a later call
    /// gets the same digests (the running hashes are reset by the first, and are not safe to finish from two threads).
    /// </summary>
    public (string Sha256, BlockChecksums Blocks, string? GitSha1) Finish()
    {
        lock (_lock)
        {
            if (_finished is { } finished)
            {
                return finished;
            }

            if (Hashed != _size)
            {
                throw new InvalidOperationException($"hashed {Hashed} of {_size} bytes");
            }

            var gitSha1 = _gitSha1 is null ? null : Convert.ToHexStringLower(_gitSha1.GetHashAndReset());
            _finished = (Convert.ToHexStringLower(_sha256.GetHashAndReset()), BlockChecksums.From(_blockSize, _crcs, _head ? _headCrc : null), gitSha1);
            return _finished.Value;
        }
    }

    public void Dispose()
    {
        _sha256.Dispose();
        _gitSha1?.Dispose();
    }

    private TaskCompletionSource Turn(int index)
    {
        lock (_lock)
        {
            if (!_turns.TryGetValue(index, out var turn))
            {
                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (index <= _next)
                {
                    turn.SetResult();
                }

                _turns[index] = turn;
            }

            return turn;
        }
    }

    /// <returns>These bytes were the file's last.</returns>
    private bool Hash(ReadOnlySpan<byte> bytes)
    {
        if (_hashed + bytes.Length > _size)
        {
            throw new InvalidOperationException($"more than the {_size} bytes announced");
        }

        _sha256.AppendData(bytes);
        _gitSha1?.AppendData(bytes);
        var before = _hashed;
        var hashed = before;
        if (_head && before < BlockChecksums.HeadBytes)
        {
            _headCrc = Crc32C.Append(_headCrc, bytes[..(int)Math.Min(bytes.Length, BlockChecksums.HeadBytes - before)]);
        }

        while (!bytes.IsEmpty)
        {
            var block = (int)(hashed / _blockSize);
            var inBlock = (int)(hashed % _blockSize);
            var take = Math.Min(bytes.Length, _blockSize - inBlock);
            _crcs[block] = Crc32C.Append(inBlock == 0 ? 0 : _crcs[block], bytes[..take]);
            bytes = bytes[take..];
            hashed += take;
        }

        Interlocked.Exchange(ref _hashed, hashed);
        return before < _size && hashed == _size;
    }
}
