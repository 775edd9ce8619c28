using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// Bytes of a fake file, addressable by offset so multi-GiB files need no memory: in-memory bytes, a file on disk,
/// a deterministic generator (content is a function of the offset) or a concatenation of those.
/// </summary>
public abstract class FakeContent
{
    public abstract long Length { get; }

    /// <summary>Copies <c>destination.Length</c> bytes starting at <paramref name="offset"/>.</summary>
    public abstract void Fill(long offset, Span<byte> destination);

    public static FakeContent FromBytes(byte[] bytes) => new BytesContent(bytes);

    public static FakeContent FromText(string text) => new BytesContent(Encoding.UTF8.GetBytes(text));

    /// <summary>Deterministic pseudo-random bytes: byte i = f(seed, i). Any length, no memory.</summary>
    public static FakeContent Generated(long length, ulong seed) => new GeneratedContent(length, seed);

    public static FakeContent FromFile(string path) => new FileContent(path);

    public static FakeContent Concat(params FakeContent[] parts) => new ConcatContent(parts);

    /// <summary>All bytes; only for small contents.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[checked((int)Length)];
        Fill(0, bytes);
        return bytes;
    }

    private sealed class BytesContent(byte[] bytes) : FakeContent
    {
        public override long Length => bytes.Length;

        public override void Fill(long offset, Span<byte> destination) =>
            bytes.AsSpan(checked((int)offset), destination.Length).CopyTo(destination);
    }

    private sealed class FileContent(string path) : FakeContent
    {
        public override long Length { get; } = new FileInfo(path).Length;

        public override void Fill(long offset, Span<byte> destination)
        {
            using var handle = File.OpenHandle(path);
            var done = 0;
            while (done < destination.Length)
            {
                var n = RandomAccess.Read(handle, destination[done..], offset + done);
                if (n == 0)
                {
                    throw new EndOfStreamException(path);
                }

                done += n;
            }
        }
    }

    private sealed class GeneratedContent(long length, ulong seed) : FakeContent
    {
        public override long Length => length;

        public override void Fill(long offset, Span<byte> destination)
        {
            Span<byte> word = stackalloc byte[8];
            var pos = 0;
            while (pos < destination.Length)
            {
                var abs = offset + pos;
                var index = (ulong)(abs >> 3);
                var within = (int)(abs & 7);
                if (within == 0 && destination.Length - pos >= 8)
                {
                    // Whole words at once: benches serve GiBs of this from a fake Hub on the machine under test, and
                    // every CPU-second spent here is one the store and the daemon do not get.
                    var words = MemoryMarshal.Cast<byte, ulong>(destination[pos..]);
                    for (var k = 0; k < words.Length; k++)
                    {
                        var value = Mix(seed, index + (ulong)k);
                        words[k] = BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
                    }

                    pos += words.Length * 8;
                    continue;
                }

                BinaryPrimitives.WriteUInt64LittleEndian(word, Mix(seed, index));
                var n = Math.Min(8 - within, destination.Length - pos);
                word.Slice(within, n).CopyTo(destination[pos..]);
                pos += n;
            }
        }

        private static ulong Mix(ulong seed, ulong index)
        {
            var z = seed + ((index + 1) * 0x9E3779B97F4A7C15UL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private sealed class ConcatContent : FakeContent
    {
        private readonly FakeContent[] _parts;
        private readonly long[] _starts;

        public ConcatContent(FakeContent[] parts)
        {
            _parts = parts;
            _starts = new long[parts.Length];
            long total = 0;
            for (var i = 0; i < parts.Length; i++)
            {
                _starts[i] = total;
                total += parts[i].Length;
            }

            Length = total;
        }

        public override long Length { get; }

        public override void Fill(long offset, Span<byte> destination)
        {
            var pos = 0;
            for (var i = 0; i < _parts.Length && pos < destination.Length; i++)
            {
                var partStart = _starts[i];
                var partEnd = partStart + _parts[i].Length;
                var abs = offset + pos;
                if (abs >= partEnd)
                {
                    continue;
                }

                var n = (int)Math.Min(destination.Length - pos, partEnd - abs);
                _parts[i].Fill(abs - partStart, destination.Slice(pos, n));
                pos += n;
            }
        }
    }
}
