using System.Runtime.InteropServices;
using ArmCrc32 = System.Runtime.Intrinsics.Arm.Crc32;
using X86Sse42 = System.Runtime.Intrinsics.X86.Sse42;

namespace HcpModelFs.Core.Cache;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with the SSE4.2 / ARMv8 CRC32 instructions and a table
/// fallback. Values are finalised CRCs: <c>Append(Compute(a), b) == Compute(a + b)</c>.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finalised CRC of the preceding bytes) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        if (X86Sse42.X64.IsSupported)
        {
            state = UpdateSse42X64(state, data);
        }
        else if (X86Sse42.IsSupported)
        {
            state = UpdateSse42(state, data);
        }
        else if (ArmCrc32.Arm64.IsSupported)
        {
            state = UpdateArm64(state, data);
        }
        else
        {
            state = UpdateSoftware(state, data);
        }

        return ~state;
    }

    /// <summary>The table implementation, exposed so tests can hold the intrinsic paths against it.</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~UpdateSoftware(~0u, data);

    private static uint UpdateSse42X64(uint state, ReadOnlySpan<byte> data)
    {
        ulong wide = state;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
        {
            wide = X86Sse42.X64.Crc32(wide, word);
        }

        var crc = (uint)wide;
        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            crc = X86Sse42.Crc32(crc, b);
        }

        return crc;
    }

    private static uint UpdateSse42(uint state, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, uint>(data);
        foreach (var word in words)
        {
            state = X86Sse42.Crc32(state, word);
        }

        foreach (var b in data[(words.Length * sizeof(uint))..])
        {
            state = X86Sse42.Crc32(state, b);
        }

        return state;
    }

    private static uint UpdateArm64(uint state, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
        {
            state = ArmCrc32.Arm64.ComputeCrc32C(state, word);
        }

        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            state = ArmCrc32.ComputeCrc32C(state, b);
        }

        return state;
    }

    private static uint UpdateSoftware(uint state, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (var b in data)
        {
            state = table[(byte)(state ^ b)] ^ (state >> 8);
        }

        return state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
