using System.Globalization;
using System.Text.Json;

namespace HcpModelFs.Hub.Http;

/// <summary>The Hub's JSON answers (model info at a revision, tree pages) as our types; anything malformed is a Protocol error.</summary>
internal static class HubMetadataParser
{
    public static HubRevision ParseRevision(JsonElement root, HubRepoId requested, string revision)
    {
        var sha = GetString(root, "sha");
        if (sha is null || sha.Length != 40 || !sha.All(char.IsAsciiHexDigit))
        {
            throw new HubException(HubErrorKind.Protocol, $"Revision '{revision}' of {requested} has no valid sha.");
        }

        var id = GetString(root, "id") is { } canonical && HubRepoId.TryParse(canonical, out var parsed)
            ? parsed
            : requested;
        string? gated = null;
        if (root.TryGetProperty("gated", out var g))
        {
            gated = g.ValueKind switch
            {
                JsonValueKind.String => g.GetString(),
                JsonValueKind.True => "auto",
                _ => null,
            };
        }

        DateTimeOffset? lastModified = GetString(root, "lastModified") is { } lm
            && DateTimeOffset.TryParse(lm, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
            ? d
            : null;
        return new HubRevision(id, revision, sha.ToLowerInvariant(), GetBool(root, "private"), gated,
            GetBool(root, "disabled"), lastModified);
    }

    public static List<HubFile> ParseTreePage(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new HubException(HubErrorKind.Protocol, "Tree listing is not a JSON array.");
        }

        var files = new List<HubFile>(root.GetArrayLength());
        foreach (var entry in root.EnumerateArray())
        {
            if (GetString(entry, "type") != "file")
            {
                continue;
            }

            var path = GetString(entry, "path");
            var oid = GetString(entry, "oid");
            if (path is null || oid is null || !entry.TryGetProperty("size", out var sizeElement)
                || !sizeElement.TryGetInt64(out var size))
            {
                throw new HubException(HubErrorKind.Protocol, "Tree entry without path, oid or size.");
            }

            string? sha256 = null;
            if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
            {
                sha256 = GetString(lfs, "oid") ?? GetString(lfs, "sha256");
                if (lfs.TryGetProperty("size", out var lfsSize) && lfsSize.TryGetInt64(out var ls))
                {
                    size = ls;
                }
            }

            files.Add(new HubFile(path, size, oid, sha256));
        }

        return files;
    }

    private static string? GetString(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    private static bool GetBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
