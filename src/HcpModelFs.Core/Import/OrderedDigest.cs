using System.Security.Cryptography;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Import;

/*
 * The digests the manifest records for a file (sha256, and the CRC32C of every block), fed with parts that arrive in
 * any order. sha256 is a running hash, so a part waits its turn: AppendAsync returns once its bytes were hashed, and
 * the caller keeps the part's buffer until then (the buffer pool bounds how many wait). Every byte is hashed once.
 */
public sealed class OrderedDigest : IDisposable
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly int _blockSize;
    private readonly uint[] _crcs;
    private readonly Dictionary<int, TaskCompletionSource> _turns = [];
    private readonly Lock _lock = new();
    private readonly long _size;
    private int _next;
    private long _hashed;

    public OrderedDigest(long size, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        _size = size;
        _blockSize = blockSize;
        _crcs = new uint[(size + blockSize - 1) / blockSize];
    }

    /// <summary>Hashes part <paramref name="index"/> (0-based, contiguous, in file order) once every earlier part was.</summary>
    public async Task AppendAsync(int index, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        await Turn(index).Task.WaitAsync(cancellationToken);
        Hash(bytes.Span);
        lock (_lock)
        {
            _turns.Remove(index);
            _next = index + 1;
        }

        Turn(index + 1).TrySetResult();
    }

    /// <summary>The digests once every byte was appended.</summary>
    public (string Sha256, BlockChecksums Blocks) Finish()
    {
        if (_hashed != _size)
        {
            throw new InvalidOperationException($"hashed {_hashed} of {_size} bytes");
        }

        return (Convert.ToHexStringLower(_sha256.GetHashAndReset()), BlockChecksums.From(_blockSize, _crcs));
    }

    public void Dispose() => _sha256.Dispose();

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

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        if (_hashed + bytes.Length > _size)
        {
            throw new InvalidOperationException($"more than the {_size} bytes announced");
        }

        _sha256.AppendData(bytes);
        while (!bytes.IsEmpty)
        {
            var block = (int)(_hashed / _blockSize);
            var inBlock = (int)(_hashed % _blockSize);
            var take = Math.Min(bytes.Length, _blockSize - inBlock);
            _crcs[block] = Crc32C.Append(inBlock == 0 ? 0 : _crcs[block], bytes[..take]);
            bytes = bytes[take..];
            _hashed += take;
        }
    }
}
