using HcpModelFs.Store;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.Core.Import;

/// <summary>
/// Does the source honour Range? One one-byte GET at offset 1 of the first file that has two bytes: a 206 says yes; a
/// 200 with the whole body (the store reports NotSupported), a 416 or a 501 says no.
/// </summary>
internal static class RangeProbe
{
    public static async Task<bool> SupportsRangesAsync(ImportSource source, IReadOnlyList<SourceFile> files, ILogger logger, CancellationToken cancellationToken)
    {
        var probe = files.FirstOrDefault(f => f.Size >= 2);
        if (probe is null)
        {
            return true; // Reads start at offset 0 and cover whole files: any answer serves.
        }

        try
        {
            await source.Store.ReadRangeAsync(probe.Key, 1, new byte[1], RangedPartSource.PinOrNone(probe.ETag), cancellationToken);
            return true;
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.NotSupported or StoreErrorKind.InvalidRange)
        {
            ImportLog.RangesRefused(logger, source.Url, e.Kind);
            return false;
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.ObjectChanged or StoreErrorKind.NotFound)
        {
            throw SourceChangedException.For(source.UrlOf(probe.Key), e);
        }
    }
}
