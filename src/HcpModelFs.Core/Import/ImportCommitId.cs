using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HcpModelFs.Core.Import;

/// <summary>
/// The commit id of an imported model, known before any byte is copied (the file keys contain it, so a re-run finds
/// what an interrupted run wrote): a hash of every file's path, size and source ETag. An unchanged source imports to
/// the same commit; a changed object gives a new one. 40 hex digits, the shape of a Hub commit.
/// </summary>
public static class ImportCommitId
{
    /// <param name="kind">The source's kind ("import", "upload"): the same listing from two kinds of source is two commits.</param>
    /// <param name="files">The listing.</param>
    public static string For(string kind, IEnumerable<SourceFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var text = kind + "\n" + string.Join('\n', files.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Path}\0{f.Size}\0{f.ETag.Trim('"')}")));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..40];
    }
}
