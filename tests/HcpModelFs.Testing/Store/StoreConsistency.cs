using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.Testing.Store;

/// <summary>
/// Walks a managed store below a prefix and reports every broken promise of the layout (design §3): a manifest whose
/// objects are missing, of another size or ETag, or whose bytes do not hash to the manifest's sha256; a manifest that
/// does not parse; a ref entry naming a commit without a manifest. A manifest is the commit point, so a crash may leave
/// objects without a manifest (harmless, not reported) but never a manifest without its objects.
/// </summary>
public static class StoreConsistency
{
    private const string ManifestSuffix = "/" + StoreLayout.MetaFolder + "/manifest.json";
    private const int ChunkSize = 8 << 20;

    /// <summary>Checks every revision below <paramref name="prefix"/>; returns the problems found (empty: consistent).</summary>
    public static async Task<StoreConsistencyReport> CheckAsync(IObjectStore store, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync(prefix, null, cancellationToken))
        {
            if (!entry.IsPrefix)
            {
                keys.Add(entry.Key);
            }
        }

        var problems = new List<string>();
        var manifests = keys.Where(k => k.EndsWith(ManifestSuffix, StringComparison.Ordinal)).ToList();
        var committed = new HashSet<string>(manifests.Select(k => k[..^ManifestSuffix.Length]), StringComparer.Ordinal);
        long bytes = 0;
        var revisions = new List<StoreRevision>();
        foreach (var manifestKey in manifests)
        {
            bytes += await CheckRevisionAsync(store, manifestKey, problems, revisions, cancellationToken);
        }

        foreach (var refKey in keys.Where(k => k.Contains("/" + StoreLayout.MetaFolder + "/refs/", StringComparison.Ordinal)))
        {
            var modelPrefix = refKey[..refKey.IndexOf("/" + StoreLayout.MetaFolder + "/refs/", StringComparison.Ordinal)];
            if (!StoreLayout.TryParseRefEntry(refKey[(refKey.LastIndexOf('/') + 1)..], out _, out var commit))
            {
                problems.Add($"{refKey}: not a ref entry");
            }
            else if (!committed.Contains($"{modelPrefix}/{commit}"))
            {
                problems.Add($"{refKey}: names {commit}, which has no manifest");
            }
        }

        return new StoreConsistencyReport(revisions, bytes, problems);
    }

    private static async Task<long> CheckRevisionAsync(
        IObjectStore store, string manifestKey, List<string> problems, List<StoreRevision> revisions, CancellationToken cancellationToken)
    {
        var revisionPrefix = manifestKey[..^(ManifestSuffix.Length - 1)];
        List<(string Path, long Size, string Sha256, string ETag)> files;
        try
        {
            files = await ReadManifestAsync(store, manifestKey, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or StoreException)
        {
            problems.Add($"{manifestKey}: unreadable manifest ({e.GetType().Name}: {e.Message})");
            return 0;
        }

        revisions.Add(new StoreRevision(manifestKey, [.. files.Select(f => new StoreRevisionFile(f.Path, f.Size, f.Sha256))]));
        long bytes = 0;
        foreach (var (path, size, sha256, etag) in files)
        {
            var key = revisionPrefix + path;
            var info = await store.HeadAsync(key, cancellationToken);
            if (info is null)
            {
                problems.Add($"{key}: named by the manifest, missing from the store");
                continue;
            }

            if (info.Size != size)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: {info.Size} bytes, the manifest says {size}"));
                continue;
            }

            if (!string.Equals(info.ETag.Trim('"'), etag.Trim('"'), StringComparison.Ordinal))
            {
                problems.Add($"{key}: ETag {info.ETag}, the manifest says {etag}");
            }

            var actual = await HashAsync(store, key, size, info.ETag, cancellationToken);
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{key}: sha256 {actual}, the manifest says {sha256}");
            }

            bytes += size;
        }

        return bytes;
    }

    private static async Task<List<(string, long, string, string)>> ReadManifestAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var info = await store.HeadAsync(key, cancellationToken) ?? throw new InvalidOperationException("listed but gone");
        var raw = new byte[info.Size];
        await store.ReadRangeAsync(key, 0, raw, null, cancellationToken);
        using var json = JsonDocument.Parse(raw);
        var files = new List<(string, long, string, string)>();
        foreach (var file in json.RootElement.GetProperty("files").EnumerateArray())
        {
            files.Add((
                file.GetProperty("path").GetString()!,
                file.GetProperty("size").GetInt64(),
                file.GetProperty("sha256").GetString()!,
                file.GetProperty("eTag").GetString()!));
        }

        return files;
    }

    private static async Task<string> HashAsync(IObjectStore store, string key, long size, string etag, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            for (long offset = 0; offset < size; offset += ChunkSize)
            {
                var length = (int)Math.Min(ChunkSize, size - offset);
                await store.ReadRangeAsync(key, offset, buffer.AsMemory(0, length), etag, cancellationToken);
                hash.AppendData(buffer, 0, length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
