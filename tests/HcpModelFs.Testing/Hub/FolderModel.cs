namespace HcpModelFs.Testing.Hub;

/// <summary>
/// Files of a repo taken from a folder on disk (read on demand, never loaded whole). A file is LFS when its
/// extension is one the Hub's default .gitattributes tracks, or when it is at least <c>lfsThreshold</c> bytes.
/// </summary>
public static class FolderModel
{
    private static readonly string[] LfsExtensions =
        [".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".onnx", ".h5", ".msgpack", ".model", ".npz", ".zip"];

    public static IReadOnlyList<FakeHubFile> Load(string folder, long lfsThreshold = 10 * 1024 * 1024)
    {
        var root = new DirectoryInfo(folder);
        if (!root.Exists)
        {
            throw new DirectoryNotFoundException(folder);
        }

        return root.EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root.FullName, f.FullName).StartsWith(".git", StringComparison.Ordinal))
            .Select(f =>
            {
                var path = Path.GetRelativePath(root.FullName, f.FullName).Replace('\\', '/');
                var lfs = f.Length >= lfsThreshold
                    || LfsExtensions.Contains(f.Extension, StringComparer.OrdinalIgnoreCase);
                return new FakeHubFile(path, FakeContent.FromFile(f.FullName), lfs);
            })
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
    }
}
