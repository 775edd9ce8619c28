using System.Runtime.CompilerServices;
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

    private const int LongLane = 8192;
    private const int ShortLane = 256;

    private static readonly uint[] Table = BuildTable();

    // Built on first use (a millisecond each); a race builds one twice, harmlessly.
    private static uint[]? s_longShift;
    private static uint[]? s_shortShift;

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

        // One crc32 instruction has a latency of three cycles and a throughput of one: three independent lanes keep
        // the unit busy (about 3x a single chain, measured on fetched 8 MiB blocks), then join through shift tables.
        if (data.Length >= 3 * ShortLane)
        {
            var longShift = s_longShift ??= BuildShift(LongLane);
            while (data.Length >= 3 * LongLane)
            {
                wide = ThreeLanes(wide, data, LongLane, longShift);
                data = data[(3 * LongLane)..];
            }

            var shortShift = s_shortShift ??= BuildShift(ShortLane);
            while (data.Length >= 3 * ShortLane)
            {
                wide = ThreeLanes(wide, data, ShortLane, shortShift);
                data = data[(3 * ShortLane)..];
            }
        }

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

    /// <summary>The raw CRC register over the first 3 x <paramref name="lane"/> bytes, continuing <paramref name="crc0"/>.</summary>
    private static ulong ThreeLanes(ulong crc0, ReadOnlySpan<byte> data, int lane, uint[] shift)
    {
        ulong crc1 = 0, crc2 = 0;
        ref var a = ref Unsafe.As<byte, ulong>(ref MemoryMarshal.GetReference(data));
        ref var b = ref Unsafe.As<byte, ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), lane));
        ref var c = ref Unsafe.As<byte, ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), 2 * lane));
        for (var i = 0; i < lane / sizeof(ulong); i++)
        {
            crc0 = X86Sse42.X64.Crc32(crc0, Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref a, i))));
            crc1 = X86Sse42.X64.Crc32(crc1, Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref b, i))));
            crc2 = X86Sse42.X64.Crc32(crc2, Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref c, i))));
        }

        // The register is linear in its value over zero bytes: shifting it by a lane of zeros, then adding the next
        // lane's register (computed from 0), gives the register over both lanes.
        crc0 = Shift(shift, (uint)crc0) ^ crc1;
        return Shift(shift, (uint)crc0) ^ crc2;
    }

    private static uint Shift(uint[] table, uint crc) =>
        table[(byte)crc] ^ table[256 + (byte)(crc >> 8)] ^ table[512 + (byte)(crc >> 16)] ^ table[768 + (crc >> 24)];

    /// <summary>For each byte of the register, what <paramref name="lane"/> zero bytes turn it into (4 x 256 entries).</summary>
    private static uint[] BuildShift(int lane)
    {
        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (uint n = 0; n < 256; n++)
            {
                ulong register = n << (8 * k);
                for (var i = 0; i < lane / sizeof(ulong); i++)
                {
                    register = X86Sse42.X64.Crc32(register, 0UL);
                }

                table[(256 * k) + (int)n] = (uint)register;
            }
        }

        return table;
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
