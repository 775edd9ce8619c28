using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// Builds the files of a plausible model repo: valid safetensors shards (8-byte little-endian header length, JSON
/// header with dtype/shape/data_offsets, then tensor bytes generated from the offset), the shard index, config,
/// tokenizer, a nested folder and names with spaces and UTF-8. Shards of many GiB cost no memory.
/// </summary>
public static class SyntheticModel
{
    public static IReadOnlyList<FakeHubFile> Create(
        int shardCount = 2,
        long tensorBytesPerShard = 64 * 1024,
        int tensorsPerShard = 3,
        ulong seed = 42,
        bool includeOddNames = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tensorsPerShard, 1);
        var files = new List<FakeHubFile>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        for (var s = 0; s < shardCount; s++)
        {
            var name = shardCount == 1
                ? "model.safetensors"
                : $"model-{s + 1:00000}-of-{shardCount:00000}.safetensors";
            var tensorNames = Enumerable.Range(0, tensorsPerShard)
                .Select(t => $"model.layers.{(s * tensorsPerShard) + t}.weight").ToList();
            var content = SafetensorsShard(tensorNames, tensorBytesPerShard, seed + (ulong)s);
            files.Add(FakeHubFile.Lfs(name, content));
            foreach (var t in tensorNames)
            {
                weightMap[t] = name;
            }

            total += tensorBytesPerShard;
        }

        if (shardCount > 1)
        {
            files.Add(FakeHubFile.Regular("model.safetensors.index.json", JsonSerializer.Serialize(new
            {
                metadata = new { total_size = total },
                weight_map = weightMap,
            })));
        }

        files.Add(FakeHubFile.Regular("config.json",
            "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n" +
            "  \"hidden_size\": 64,\n  \"num_hidden_layers\": " +
            (shardCount * tensorsPerShard).ToString(CultureInfo.InvariantCulture) + ",\n  \"torch_dtype\": \"float16\"\n}\n"));
        files.Add(FakeHubFile.Regular("generation_config.json", "{\"bos_token_id\": 1, \"eos_token_id\": 2}\n"));
        files.Add(FakeHubFile.Regular("tokenizer.json", Tokenizer(seed)));
        files.Add(FakeHubFile.Regular("tokenizer_config.json", "{\"model_max_length\": 2048}\n"));
        files.Add(FakeHubFile.Regular("README.md", "---\nlicense: apache-2.0\n---\n# Synthetic test model\n"));
        files.Add(FakeHubFile.Regular("nested/deeper/notes.txt", "nested file\n"));
        if (includeOddNames)
        {
            files.Add(FakeHubFile.Regular("name with spaces.txt", "spaces in the name\n"));
            files.Add(FakeHubFile.Regular("ünïcødé/データ.json", "{\"utf8\": \"ok ✓\"}\n"));
        }

        return files;
    }

    /// <summary>A single valid safetensors file: F16 vectors sharing <paramref name="tensorBytes"/> (even).</summary>
    public static FakeContent SafetensorsShard(IReadOnlyList<string> tensorNames, long tensorBytes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var perTensor = tensorBytes / tensorNames.Count / 2 * 2;
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (var i = 0; i < tensorNames.Count; i++)
        {
            var len = i == tensorNames.Count - 1 ? (tensorBytes / 2 * 2) - offset : perTensor;
            header.Append(CultureInfo.InvariantCulture,
                $",\"{tensorNames[i]}\":{{\"dtype\":\"F16\",\"shape\":[{len / 2}],\"data_offsets\":[{offset},{offset + len}]}}");
            offset += len;
        }

        header.Append('}');
        while ((header.Length + 8) % 8 != 0)
        {
            header.Append(' ');
        }

        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        var prefix = new byte[8 + headerBytes.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerBytes.Length);
        headerBytes.CopyTo(prefix, 8);
        return FakeContent.Concat(FakeContent.FromBytes(prefix), FakeContent.Generated(offset, seed));
    }

    private static string Tokenizer(ulong seed)
    {
        var vocab = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 256; i++)
        {
            vocab[$"tok{i:x2}{seed % 7}"] = i;
        }

        return JsonSerializer.Serialize(new
        {
            version = "1.0",
            model = new { type = "BPE", vocab },
        });
    }
}
