using System.Text;
using System.Text.Json;
using HcpModelFs.Core.Catalog;
using Microsoft.AspNetCore.Http;

namespace HcpModelFs.Http;

/// <summary>Model info, tree (recursive, paginated), paths-info and refs: JSON answers from the catalog.</summary>
internal sealed partial class HubRequestHandler
{
    private static async Task ModelInfoAsync(RequestState s, ModelRevision revision)
    {
        var blobs = s.Context.Request.Query["blobs"] is var b && (b == "true" || b == "1");
        await WriteJsonAsync(s, 200, w => HubJson.ModelInfo(w, revision, blobs));
    }

    private async Task TreeAsync(RequestState s, ModelRevision revision)
    {
        var q = s.Context.Request.Query;
        var recursive = q["recursive"] is var rv && (rv == "true" || rv == "1" || rv == "True");
        var expand = q["expand"] is var ev && (ev == "true" || ev == "1" || ev == "True");
        var path = s.Route.Path;
        var dir = path.Length == 0 ? revision.Root : RelativePath.IsValid(path) ? revision.FindDirectory(path) : null;
        if (dir is null)
        {
            await WriteErrorAsync(s, HubError.EntryNotFound(path, s.Route.Revision ?? "main"), FileIdentity.CommitOf(revision));
            return;
        }

        var pageSize = Math.Max(1, expand ? _options.TreeExpandPageSize : _options.TreePageSize);
        var start = 0;
        if (q["cursor"].ToString() is { Length: > 0 } cursor && !TryDecodeCursor(cursor, out start))
        {
            await WriteErrorAsync(s, HubError.BadRequest("Invalid cursor"));
            return;
        }

        var page = HubJson.Tree(dir, recursive).Skip(start).Take(pageSize + 1).ToList();
        if (page.Count > pageSize)
        {
            page.RemoveAt(pageSize);
            var next = new StringBuilder(BaseUrl(s)).Append(s.RawPath).Append("?recursive=").Append(recursive ? "true" : "false")
                .Append("&expand=").Append(expand ? "true" : "false").Append("&cursor=").Append(EncodeCursor(start + pageSize));
            // Absolute, with a space before rel: the JS client's regex accepts nothing else (spec §2.2).
            s.Context.Response.Headers["Link"] = $"<{next}>; rel=\"next\"";
        }

        await WriteJsonAsync(s, 200, w =>
        {
            w.WriteStartArray();
            foreach (var entry in page)
            {
                HubJson.Entry(w, revision, entry, expand);
            }

            w.WriteEndArray();
        });
    }

    private static async Task PathsInfoAsync(RequestState s, ModelRevision revision)
    {
        var request = s.Context.Request;
        var paths = new List<string>();
        var expand = false;
        try
        {
            if (request.HasFormContentType)
            {
                // huggingface_hub sends a form: paths=a&paths=b&expand=false.
                var form = await request.ReadFormAsync(s.Context.RequestAborted);
                paths.AddRange(form["paths"].Where(p => p is not null)!);
                expand = form["expand"] is var e && (e == "true" || e == "True" || e == "1");
            }
            else
            {
                // @huggingface/hub sends JSON: {"paths": [...], "expand": bool}.
                using var doc = await JsonDocument.ParseAsync(request.Body, default, s.Context.RequestAborted);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new JsonException("not an object");
                }

                if (doc.RootElement.TryGetProperty("paths", out var p))
                {
                    if (p.ValueKind == JsonValueKind.String)
                    {
                        paths.Add(p.GetString()!);
                    }
                    else
                    {
                        paths.AddRange(p.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!));
                    }
                }

                expand = doc.RootElement.TryGetProperty("expand", out var x) && x.ValueKind == JsonValueKind.True;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or InvalidOperationException or BadHttpRequestException)
        {
            await WriteErrorAsync(s, HubError.BadRequest("Malformed paths-info body: expected a form or JSON with 'paths'."));
            return;
        }

        var entries = new List<TreeEntry>();
        foreach (var raw in paths.Distinct(StringComparer.Ordinal))
        {
            var path = raw.Trim('/');
            if (path.Length == 0 || !RelativePath.IsValid(path))
            {
                // Unknown paths are left out silently, as the Hub does; unsafe ones are simply unknown.
                continue;
            }

            var slash = path.LastIndexOf('/');
            var parent = slash < 0 ? revision.Root : revision.FindDirectory(path[..slash]);
            if (parent is null)
            {
                continue;
            }

            var name = path[(slash + 1)..];
            if (parent.Files.TryGetValue(name, out var file))
            {
                entries.Add(new TreeEntry(file.Path, file));
            }
            else if (parent.Directories.TryGetValue(name, out var dir))
            {
                entries.Add(new TreeEntry(dir.Path, null));
            }
        }

        await WriteJsonAsync(s, 200, w =>
        {
            w.WriteStartArray();
            foreach (var entry in entries)
            {
                HubJson.Entry(w, revision, entry, expand);
            }

            w.WriteEndArray();
        });
    }

    private static async Task RefsAsync(RequestState s, ModelRevision revision)
    {
        var prs = s.Context.Request.Query["include_prs"] is var p && (p == "1" || p == "true");
        // The store pins one default revision per model; that is the branch we can name (as `main`).
        await WriteJsonAsync(s, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("branches");
            w.WriteStartObject();
            w.WriteString("name", "main");
            w.WriteString("ref", "refs/heads/main");
            w.WriteString("targetCommit", FileIdentity.CommitOf(revision));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("converts");
            w.WriteEndArray();
            w.WriteStartArray("tags");
            w.WriteEndArray();
            if (prs)
            {
                w.WriteStartArray("pullRequests");
                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }
}
