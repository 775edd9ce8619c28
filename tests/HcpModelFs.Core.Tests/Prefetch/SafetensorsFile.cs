using System.Buffers.Binary;
using System.Text;

namespace HcpModelFs.Core.Tests.Prefetch;

/// <summary>Builds a safetensors file in memory: header length, JSON header, then tensor bytes.</summary>
internal static class SafetensorsFile
{
    public static (byte[] Bytes, long DataStart) Build(params (string Name, int Length)[] tensors)
    {
        var json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, length) in tensors)
        {
            json.Append($",\"{name}\":{{\"dtype\":\"U8\",\"shape\":[{length}],\"data_offsets\":[{offset},{offset + length}]}}");
            offset += length;
        }

        json.Append('}');
        var header = Encoding.UTF8.GetBytes(json.ToString());
        var bytes = new byte[8 + header.Length + offset];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, header.Length);
        header.CopyTo(bytes, 8);
        for (var i = 8 + header.Length; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 7);
        }

        return (bytes, 8 + header.Length);
    }
}
