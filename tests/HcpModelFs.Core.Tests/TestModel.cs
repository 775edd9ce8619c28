using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Core.Tests;

/// <summary>Publishes a small model from a temp folder into a store; deletes the folder on dispose.</summary>
internal sealed class TestModel : IDisposable
{
    public static readonly StoreLayout Layout = new("models/");

    private TestModel(string directory, Manifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    public string Directory { get; }

    public Manifest Manifest { get; }

    public static async Task<TestModel> PublishAsync(IObjectStore store, string org, string model, IReadOnlyDictionary<string, byte[]> files, string revision = "main")
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("hcpfs-unit-").FullName;
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(dir, path);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, bytes);
        }

        var publisher = new ModelPublisher(store, Layout, NullLogger<ModelPublisher>.Instance);
        var manifest = await publisher.PublishAsync(org, model, dir, revision, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return new TestModel(dir, manifest);
    }

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
