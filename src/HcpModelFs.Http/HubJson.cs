using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Http;

/// <summary>The Hub's JSON shapes (hf-hub-protocol.md §2), written with <see cref="Utf8JsonWriter"/>: no Xet fields, ever.</summary>
internal static class HubJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = false };

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Date(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A 24-hex object id, stable per repo (JS maps `_id` to its `id`).</summary>
    public static string ObjectId(string repo) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repo)))[..24];

    public static void ModelInfo(Utf8JsonWriter w, ModelRevision revision, bool blobs)
    {
        var repo = revision.Org + "/" + revision.Model;
        var date = Date(revision.Modified);
        w.WriteStartObject();
        w.WriteString("_id", ObjectId(repo));
        w.WriteString("id", repo);
        w.WriteString("modelId", repo);
        w.WriteString("author", revision.Org);
        w.WriteString("sha", FileIdentity.CommitOf(revision));
        w.WriteString("lastModified", date);
        w.WriteString("createdAt", date);
        w.WriteBoolean("private", false);
        w.WriteBoolean("gated", false);
        w.WriteBoolean("disabled", false);
        w.WriteNumber("downloads", 0);
        w.WriteNumber("likes", 0);
        w.WriteStartArray("tags");
        w.WriteEndArray();
        w.WriteNumber("usedStorage", revision.TotalSize);
        w.WriteStartArray("siblings");
        foreach (var file in Files(revision.Root))
        {
            w.WriteStartObject();
            w.WriteString("rfilename", file.Path);
            if (blobs)
            {
                var id = FileIdentity.Of(revision, file);
                w.WriteNumber("size", file.Size);
                w.WriteString("blobId", id.Oid);
                if (id.IsLfs)
                {
                    w.WriteStartObject("lfs");
                    w.WriteString("sha256", id.Sha256);
                    w.WriteNumber("size", file.Size);
                    w.WriteNumber("pointerSize", id.PointerSize);
                    w.WriteEndObject();
                }
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>One tree / paths-info entry; `lfs.oid` here, not `sha256` as in siblings.</summary>
    public static void Entry(Utf8JsonWriter w, ModelRevision revision, TreeEntry entry, bool expand)
    {
        w.WriteStartObject();
        if (entry.File is { } file)
        {
            var id = FileIdentity.Of(revision, file);
            w.WriteString("type", "file");
            w.WriteString("oid", id.Oid);
            w.WriteNumber("size", file.Size);
            w.WriteString("path", file.Path);
            if (id.IsLfs)
            {
                w.WriteStartObject("lfs");
                w.WriteString("oid", id.Sha256);
                w.WriteNumber("size", file.Size);
                w.WriteNumber("pointerSize", id.PointerSize);
                w.WriteEndObject();
            }
        }
        else
        {
            w.WriteString("type", "directory");
            w.WriteString("oid", FileIdentity.DirectoryOid(FileIdentity.CommitOf(revision), entry.Path));
            w.WriteNumber("size", 0);
            w.WriteString("path", entry.Path);
        }

        if (expand)
        {
            w.WriteStartObject("lastCommit");
            w.WriteString("id", FileIdentity.CommitOf(revision));
            w.WriteString("title", revision.Hub is null ? "Served by hcpmodelfs" : "Mirrored by hcpmodelfs");
            w.WriteString("date", Date(revision.Modified));
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    public static IEnumerable<RevisionFile> Files(RevisionDirectory dir)
    {
        foreach (var name in dir.Names)
        {
            if (dir.Files.TryGetValue(name, out var f))
            {
                yield return f;
            }
            else
            {
                foreach (var inner in Files(dir.Directories[name]))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>Children of <paramref name="dir"/> (all descendants when recursive, directories included), in a stable order.</summary>
    public static IEnumerable<TreeEntry> Tree(RevisionDirectory dir, bool recursive)
    {
        foreach (var name in dir.Names)
        {
            if (dir.Files.TryGetValue(name, out var f))
            {
                yield return new TreeEntry(f.Path, f);
                continue;
            }

            var sub = dir.Directories[name];
            yield return new TreeEntry(sub.Path, null);
            if (recursive)
            {
                foreach (var inner in Tree(sub, recursive: true))
                {
                    yield return inner;
                }
            }
        }
    }
}

/// <summary>A tree listing entry: a file, or a directory (<see cref="File"/> null).</summary>
internal sealed record TreeEntry(string Path, RevisionFile? File);
