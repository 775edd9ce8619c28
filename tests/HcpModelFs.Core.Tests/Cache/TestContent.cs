using System.Security.Cryptography;

namespace HcpModelFs.Core.Tests.Cache;

/// <summary>Deterministic object content: every byte is a function of (key, offset).</summary>
internal static class TestContent
{
    public static byte ByteAt(string key, long offset)
    {
        var seed = 17u;
        foreach (var c in key)
        {
            seed = (seed * 31) + c;
        }

        var x = ((ulong)offset + ((ulong)seed << 40)) * 0x9E3779B97F4A7C15UL;
        return (byte)((x >> 29) ^ (x >> 47) ^ (ulong)(offset >> 12));
    }

    public static void Fill(string key, long offset, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = ByteAt(key, offset + i);
        }
    }

    public static byte[] Bytes(string key, long offset, int length)
    {
        var bytes = new byte[length];
        Fill(key, offset, bytes);
        return bytes;
    }

    public static string Sha256Hex(string key, long size)
        => Convert.ToHexStringLower(SHA256.HashData(Bytes(key, 0, checked((int)size))));
}
