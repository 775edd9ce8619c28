using System.Text;

namespace HcpModelFs.FuseTestHost;

/// <summary>A node of an in-memory, immutable tree: a directory or a file of synthetic content.</summary>
internal sealed class TreeNode
{
    public TreeNode(ulong id, string name, TreeNode? parent, bool isDirectory, long size = 0, ulong seed = 0)
    {
        Id = id;
        Name = name;
        NameBytes = Encoding.UTF8.GetBytes(name);
        Parent = parent ?? this;
        IsDirectory = isDirectory;
        Size = size;
        Seed = seed;
    }

    public ulong Id { get; }

    public string Name { get; }

    public byte[] NameBytes { get; }

    public TreeNode Parent { get; }

    public bool IsDirectory { get; }

    public long Size { get; }

    public ulong Seed { get; }

    public List<TreeNode> Children { get; } = [];

    public Dictionary<string, TreeNode> ByName { get; } = new(StringComparer.Ordinal);
}
