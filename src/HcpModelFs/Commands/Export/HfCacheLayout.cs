using System.Security.Cryptography;
using System.Text;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Core.Naming;

namespace HcpModelFs.Commands.Export;

/// <summary>
/// The huggingface_hub cache layout (hf-hub-protocol.md §7), so `HF_HUB_CACHE=DIR HF_HUB_OFFLINE=1` finds the model:
/// `models--ORG--MODEL/blobs/ID`, `snapshots/COMMIT/PATH` as a relative symlink to the blob, `refs/REV` holding the
/// commit (no newline). A blob is named by its sha256 when the manifest has one (every managed file: as `hcpmodelfs
/// serve` presents them, LFS-style, so caches filled by either agree) and by its git blob sha1 otherwise (plain store
/// objects), which is only known once the bytes are read. Blobs are written as `.incomplete` and renamed; a blob
/// already present with the right size is kept (a second export, or two models sharing a file, copies it once).
/// </summary>
internal sealed class HfCacheLayout : IExportLayout
{
    private readonly string _blobs;
    private readonly string _snapshot;
    private readonly string _refs;
    private readonly string _commit;
    private readonly string? _refName;

    public HfCacheLayout(string root, ModelRevision revision, string? requestedRevision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ModelPath = Path.Combine(root, $"models--{revision.Org}--{revision.Model}");
        _commit = revision.Immutable ? revision.Commit : PlainCommit(revision);
        _blobs = Path.Combine(ModelPath, "blobs");
        _snapshot = Path.Combine(ModelPath, "snapshots", _commit);
        _refs = Path.Combine(ModelPath, "refs");

        // A commit asked for by its sha gets no ref, as huggingface_hub does; the default revision is `main`.
        _refName = requestedRevision is null ? "main" : ModelName.IsCommitSha(requestedRevision) ? null : requestedRevision;
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_snapshot);
        Directory.CreateDirectory(_refs);
    }

    public string ModelPath { get; }

    public string Commit => _commit;

    public async Task WriteFileAsync(RevisionFile file, StoreFileCopier copier, Action<long> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(copier);
        var known = file.CacheId.Sha256;
        string blob;
        if (known is not null && new FileInfo(Path.Combine(_blobs, known)) is { Exists: true } present && present.Length == file.Size)
        {
            blob = known;
            progress(file.Size);
        }
        else
        {
            var temporary = Path.Combine(_blobs, $"{known ?? "export"}.{TemporaryNames.Suffix()}.incomplete");
            try
            {
                var (_, gitSha1) = await copier.WriteAsync(file, temporary, progress, ct);
                blob = known ?? gitSha1;
                File.Move(temporary, Path.Combine(_blobs, blob), overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        var link = Path.Combine(_snapshot, file.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        var depth = file.Path.Count(c => c == '/');
        var target = string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + blob;
        var temporaryLink = Path.Combine(Path.GetDirectoryName(link)!, $".{file.Name}.{TemporaryNames.Suffix()}.link");
        File.CreateSymbolicLink(temporaryLink, target);
        File.Move(temporaryLink, link, overwrite: true);
    }

    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_refName is null)
        {
            return;
        }

        var refPath = Path.Combine(_refs, _refName);
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        await TemporaryNames.WriteAtomicallyAsync(refPath, _commit, ct);
    }

    /// <summary>A plain folder has no commit: a stable 40-hex name from what it lists (path, store ETag, size).</summary>
    private static string PlainCommit(ModelRevision revision)
    {
        var text = new StringBuilder();
        foreach (var file in ModelExporter.Files(revision.Root).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append(file.Path).Append('\0').Append(file.CacheId.ETag).Append('\0').Append(file.Size).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..40];
    }
}
