using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.Commands.Export;

/// <summary>What one model's export came to (one line of output, one element of the JSON result).</summary>
internal sealed record ModelExportResult(string Model, string? Commit, int Files, long Bytes, string? Path, string? Error = null);

/// <summary>Exports one resolved revision: the files its globs select, a few at a time, into a layout.</summary>
internal sealed class ModelExporter(IObjectStore store)
{
    private const int FilesInFlight = 4;
    private const int BlocksInFlightPerFile = 4;

    public static IEnumerable<RevisionFile> Files(RevisionDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        foreach (var file in directory.Files.Values)
        {
            yield return file;
        }

        foreach (var child in directory.Directories.Values)
        {
            foreach (var file in Files(child))
            {
                yield return file;
            }
        }
    }

    public static IReadOnlyList<RevisionFile> Select(ModelRevision revision, GlobFilter filter)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(filter);
        return [.. Files(revision.Root).Where(f => filter.Matches(f.Path)).OrderBy(f => f.Path, StringComparer.Ordinal)];
    }

    public async Task ExportAsync(IReadOnlyList<RevisionFile> files, IExportLayout layout, Action<long> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(layout);
        var copier = new StoreFileCopier(store, BlocksInFlightPerFile);
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = FilesInFlight, CancellationToken = ct },
            async (file, token) => await layout.WriteFileAsync(file, copier, progress, token));
        await layout.CompleteAsync(ct);
    }
}
