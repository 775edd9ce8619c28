using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Http;

/// <summary>
/// What a client is told identifies a file (hf-hub-protocol.md §3.1, §3.7). A file whose sha256 we know (every managed
/// file, and the Hub's LFS files) is presented as an LFS file: `ETag` and `X-Linked-Etag` are its sha256 — what
/// huggingface_hub names the blob by — and the tree `oid` is the git sha1 of its LFS pointer (the Hub's own, when the
/// revision comes from the Hub). A Hub file kept in git keeps the Hub's git blob sha1. A plain store object has neither:
/// it gets a stable sha1 of its key and store ETag, so a changed object gets a new identity.
/// </summary>
internal sealed record FileIdentity(string ETag, string Oid, string? Sha256, int PointerSize)
{
    public bool IsLfs => Sha256 is not null;

    public static FileIdentity Of(ModelRevision revision, RevisionFile file)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(file);
        HubFileOid(revision, file, out var hubOid);
        if (file.CacheId.Sha256 is { } sha256)
        {
            var pointer = LfsPointer(sha256, file.Size);
            return new FileIdentity(sha256, hubOid ?? GitBlobSha1(pointer), sha256, pointer.Length);
        }

        if (hubOid is not null)
        {
            return new FileIdentity(hubOid, hubOid, null, 0);
        }

        var id = Sha1Hex(file.CacheId.Key + "\0" + file.CacheId.ETag);
        return new FileIdentity(id, id, null, 0);
    }

    /// <summary>The 40-hex commit clients see: the revision's commit, or for a plain folder a hash of what it lists.</summary>
    public static string CommitOf(ModelRevision revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        return revision.Immutable ? revision.Commit : PlainCommits.GetValue(revision, PlainCommit);
    }

    private static readonly ConditionalWeakTable<ModelRevision, string> PlainCommits = [];

    private static string PlainCommit(ModelRevision revision)
    {
        var text = new StringBuilder();
        Walk(revision.Root, text);
        return Sha1Hex(text.ToString());

        static void Walk(RevisionDirectory dir, StringBuilder text)
        {
            foreach (var f in dir.Files.Values)
            {
                text.Append(f.Path).Append('\0').Append(f.CacheId.ETag).Append('\0').Append(f.Size.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            foreach (var d in dir.Directories.Values)
            {
                Walk(d, text);
            }
        }
    }

    /// <summary>A git tree oid for a directory: stable per commit and path (clients do not check it).</summary>
    public static string DirectoryOid(string commit, string path) => Sha1Hex("tree\0" + commit + "\0" + path);

    private static void HubFileOid(ModelRevision revision, RevisionFile file, out string? oid) =>
        oid = revision.Hub is { } hub && hub.Files.TryGetValue(file.Path, out var h) ? h.GitOid : null;

    private static byte[] LfsPointer(string sha256, long size) => Encoding.ASCII.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"));

    // Git names objects by SHA-1; these are identities clients compare, not a security boundary.
#pragma warning disable CA5350
    private static string GitBlobSha1(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {content.Length}\0"));
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
    }

    private static string Sha1Hex(string text) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350
}
