using System.Globalization;
using System.Security.Cryptography;
using HcpModelFs.Core.Catalog;
using HcpModelFs.FuseTestHost;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>A small model written to a temp folder with deterministic content, then published into the store.</summary>
public sealed class PublishedModel : IDisposable
{
    public const string Org = "acme";
    public const string Name = "tiny-llm";

    private PublishedModel(string directory, Manifest manifest, IReadOnlyList<(string Path, long Size, ulong Seed)> files)
    {
        Directory = directory;
        Manifest = manifest;
        Files = files;
    }

    public string Directory { get; }

    public Manifest Manifest { get; }

    /// <summary>Files with SyntheticContent seeds, so mmap-check and digests can be computed independently.</summary>
    public IReadOnlyList<(string Path, long Size, ulong Seed)> Files { get; }

    public static IReadOnlyList<(string Path, long Size, ulong Seed)> DefaultFiles { get; } =
    [
        ("config.json", 4_321, 30),
        ("model-00001-of-00002.safetensors", (20L << 20) + 12_345, 31),
        ("model-00002-of-00002.safetensors", (9L << 20) + 7, 32),
        ("nested/dir/weights.bin", 1 << 20, 33),
        ("with space.txt", 777, 34),
        ("empty.txt", 0, 35),
    ];

    public static async Task<PublishedModel> PublishAsync(IObjectStore store, string prefix, IReadOnlyList<(string Path, long Size, ulong Seed)>? files = null)
    {
        files ??= DefaultFiles;
        var directory = System.IO.Directory.CreateTempSubdirectory("hcpfs-model-").FullName;
        foreach (var (path, size, seed) in files)
        {
            var full = Path.Combine(directory, path);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            // In pieces: a shard may be larger than an array can be (2 GiB).
            await using var output = File.Create(full);
            var piece = new byte[Math.Min(size, 4 << 20)];
            for (long offset = 0; offset < size; offset += piece.Length)
            {
                var n = (int)Math.Min(piece.Length, size - offset);
                SyntheticContent.Fill(seed, offset, piece.AsSpan(0, n));
                await output.WriteAsync(piece.AsMemory(0, n));
            }
        }

        var publisher = new ModelPublisher(store, new StoreLayout(prefix), NullLogger<ModelPublisher>.Instance);
        // Bounded, and scaled for the multi-GiB shards of the reliability scenarios' long runs.
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2 + (files.Sum(f => f.Size) >> 30)));
        var manifest = await publisher.PublishAsync(Org, Name, directory, "main", cts.Token);
        return new PublishedModel(directory, manifest, files);
    }

    public string Sha256(string path)
    {
        using var file = File.OpenRead(Path.Combine(Directory, path));
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    public static string Describe((string Path, long Size, ulong Seed) file) =>
        string.Create(CultureInfo.InvariantCulture, $"{file.Path} {file.Size}");

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
