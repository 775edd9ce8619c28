using System.Text.Json;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.Core.Import;

/*
 * What makes an import resumable. Keys below the revision's meta folder (so the half-imported folder is managed, never
 * served as a plain folder, and `rm` of the revision removes them):
 *   <rev>/.hcpmodelfs/import/source.json        written first: which folder this commit is imported from
 *   <rev>/.hcpmodelfs/import/done/<path>        one per finished file: its manifest entry (size, sha256, ETag, CRCs)
 * A file is final once its receipt exists and the object's size and ETag match it; a re-run copies only the others.
 */
internal sealed class ImportReceipts(IObjectStore store, StoreLayout layout, string org, string model, string commit)
{
    private string Root => layout.RevisionPrefix(org, model, commit) + StoreLayout.MetaFolder + "/import/";

    private string DonePrefix => Root + "done/";

    public async Task MarkStartedAsync(string sourceUrl, int files, CancellationToken cancellationToken)
    {
        var marker = JsonSerializer.SerializeToUtf8Bytes(new ImportMarker(sourceUrl, files), ImportJsonContext.Default.ImportMarker);
        await store.CreateExclusiveAsync(Root + "source.json", marker, cancellationToken);
    }

    /// <summary>The receipts written by earlier runs, by path.</summary>
    public async Task<Dictionary<string, ManifestFile>> LoadAsync(CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ManifestFile>(StringComparer.Ordinal);
        var entries = new List<ListEntry>();
        await foreach (var entry in store.ListAsync(DonePrefix, null, cancellationToken))
        {
            if (!entry.IsPrefix && entry.Size is > 0 and < 1 << 20)
            {
                entries.Add(entry);
            }
        }

        foreach (var entry in entries)
        {
            var bytes = new byte[entry.Size];
            await store.ReadRangeAsync(entry.Key, 0, bytes, null, cancellationToken);
            try
            {
                if (JsonSerializer.Deserialize(bytes, ImportJsonContext.Default.ManifestFile) is { } file &&
                    file.Path == entry.Key[DonePrefix.Length..])
                {
                    found[file.Path] = file;
                }
            }
            catch (JsonException)
            {
                // Not ours or torn: the file is copied again.
            }
        }

        return found;
    }

    public async Task WriteAsync(ManifestFile file, CancellationToken cancellationToken) =>
        await store.CreateExclusiveAsync(DonePrefix + file.Path, JsonSerializer.SerializeToUtf8Bytes(file, ImportJsonContext.Default.ManifestFile), cancellationToken);

    /// <summary>
    /// Once the manifest is in, the receipts have done their job: removed, best effort (a store that refuses deletes,
    /// HCP under retention, keeps them; they sit in the revision's meta folder, and `rm` removes them with it).
    /// </summary>
    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        try
        {
            await foreach (var entry in store.ListAsync(Root, null, cancellationToken))
            {
                if (!entry.IsPrefix)
                {
                    keys.Add(entry.Key);
                }
            }

            foreach (var key in keys)
            {
                await store.DeleteAsync(key, cancellationToken);
            }
        }
        catch (StoreException)
        {
            // Leftover receipts of a committed revision are harmless.
        }
    }

    /// <summary>Multipart uploads an interrupted run left under the revision (one import of a model at a time).</summary>
    public async Task<int> AbortLeftoverUploadsAsync(CancellationToken cancellationToken)
    {
        var leftovers = new List<PendingUpload>();
        await foreach (var upload in store.ListMultipartUploadsAsync(layout.RevisionPrefix(org, model, commit), cancellationToken))
        {
            leftovers.Add(upload);
        }

        foreach (var upload in leftovers)
        {
            await store.AbortMultipartAsync(upload.Key, upload.UploadId, cancellationToken);
        }

        return leftovers.Count;
    }
}

/// <summary>The first key an import writes: where the commit's files come from.</summary>
internal sealed record ImportMarker(string Source, int Files);
