using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HcpModelFs.Testing.Hub;

/// <summary>
/// A file of a fake repo. Hashes (sha256 of LFS content, git blob sha1 of content or pointer) are computed lazily
/// by streaming the content once, so registering a multi-GiB file is instant; pass <c>knownSha256</c> to skip it.
/// </summary>
public sealed class FakeHubFile
{
    private readonly Lazy<string> _sha256;
    private readonly Lazy<string> _gitOid;

    public FakeHubFile(string path, FakeContent content, bool isLfs, string? knownSha256 = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        Path = path;
        Content = content;
        IsLfs = isLfs;
        _sha256 = new Lazy<string>(() => knownSha256 ?? HashContent(content, HashAlgorithmName.SHA256, null));
        _gitOid = new Lazy<string>(() => isLfs
            ? GitBlobSha1(Encoding.ASCII.GetBytes(PointerText))
            : HashContent(content, HashAlgorithmName.SHA1, GitHeader(content.Length)));
    }

    public string Path { get; }

    public FakeContent Content { get; }

    public long Size => Content.Length;

    public bool IsLfs { get; }

    /// <summary>SHA-256 of the content (LFS oid, X-Linked-Etag).</summary>
    public string Sha256 => _sha256.Value;

    /// <summary>Git blob sha1 of what git stores: the content, or the LFS pointer.</summary>
    public string GitOid => _gitOid.Value;

    /// <summary>The LFS pointer text git stores for an LFS file.</summary>
    public string PointerText =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Size.ToString(CultureInfo.InvariantCulture)}\n";

    public int PointerSize => Encoding.ASCII.GetByteCount(PointerText);

    /// <summary>How /resolve serves this file; null = the repo's default for its kind.</summary>
    public FakeResolveMode? Mode { get; init; }

    public static FakeHubFile Regular(string path, string text) => new(path, FakeContent.FromText(text), false);

    public static FakeHubFile Regular(string path, byte[] bytes) => new(path, FakeContent.FromBytes(bytes), false);

    public static FakeHubFile Lfs(string path, FakeContent content, string? knownSha256 = null) =>
        new(path, content, true, knownSha256);

    public static string GitBlobSha1(ReadOnlySpan<byte> bytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(GitHeader(bytes.Length));
        hash.AppendData(bytes);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static byte[] GitHeader(long length) =>
        Encoding.ASCII.GetBytes("blob " + length.ToString(CultureInfo.InvariantCulture) + "\0");

    private static string HashContent(FakeContent content, HashAlgorithmName algorithm, byte[]? prefix)
    {
        using var hash = IncrementalHash.CreateHash(algorithm);
        if (prefix is not null)
        {
            hash.AppendData(prefix);
        }

        var buffer = new byte[1024 * 1024];
        for (long pos = 0; pos < content.Length; pos += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, content.Length - pos);
            content.Fill(pos, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
