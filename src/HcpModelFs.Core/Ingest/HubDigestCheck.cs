using HcpModelFs.Core.Catalog;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Ingest;

/// <summary>A file from the Hub against the Hub's metadata: sha256 for LFS files, the git blob id for regular ones.</summary>
internal static class HubDigestCheck
{
    /// <summary>A digest that can check <paramref name="file"/> (the git blob id only where the Hub identifies it by one).</summary>
    public static OrderedDigest For(IngestFileState file, int blockSize) =>
        new(file.File.Size, blockSize, gitBlob: file.Hub.LfsSha256 is null);

    /// <summary>
    /// The sha256 on a match (and the block CRCs recorded on the file for the manifest); on a mismatch the file fails for
    /// good with an <see cref="IngestFailedException"/> naming both values, logged once.
    /// </summary>
    public static string Verify(IngestFileState file, OrderedDigest digest, string model, ILogger logger)
    {
        var (actual, blocks, blob) = digest.Finish();
        var reason = file.Hub.LfsSha256 is { } expected
            ? string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase) ? null : $"sha256 {actual}, the Hub says {expected}"
            : string.Equals(blob, file.Hub.GitOid, StringComparison.OrdinalIgnoreCase) ? null : $"git blob {blob}, the Hub says {file.Hub.GitOid}";
        if (reason is not null)
        {
            IngestLog.Mismatch(logger, model, file.File.Path, reason);
            var failure = new IngestFailedException($"{model}/{file.File.Path} from the Hub does not match its metadata ({reason}).");
            file.Failure = failure;
            throw failure;
        }

        file.Blocks = blocks;
        return actual;
    }
}
