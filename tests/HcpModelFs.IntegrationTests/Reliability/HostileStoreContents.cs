using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HcpModelFs.Core.Catalog;
using HcpModelFs.Store;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Hostile models written straight into the store under the managed layout (design.md §3): each case is one model of
/// the organisation with a ref, a manifest and objects that lie in one way. <see cref="Expect"/> says what a reader
/// may see: the model not served at all (ENOENT at lookup, one log line), or served with EIO on the lying file.
/// </summary>
internal sealed record HostileCase(string Model, string Description, HostileExpectation Expect, string? LogNeedle);

internal enum HostileExpectation
{
    /// <summary>The model is not served: ENOENT at lookup.</summary>
    NotServed,

    /// <summary>Served; reading the lying file gives EIO (never other bytes).</summary>
    ReadFails,

    /// <summary>Served exactly as its valid ref/manifest says; the garbage next to it is ignored.</summary>
    ServedCorrectly,
}

internal static class HostileStoreContents
{
    public const string Org = "acme-hostile";
    public const string GoodModel = "good-model";
    public static readonly byte[] GoodBytes = Bytes(4096, 1);

    public static async Task<IReadOnlyList<HostileCase>> WriteAsync(IObjectStore store, StoreLayout layout)
    {
        var cases = new List<HostileCase>();
        async Task<string> Model(string model, Func<string, Task<string>> manifest, HostileExpectation expect, string description, string? log)
        {
            var commit = Commit(model);
            var text = await manifest(commit);
            await store.PutAsync(layout.ManifestKey(Org, model, commit), Encoding.UTF8.GetBytes(text), CancellationToken.None);
            await store.PutAsync(layout.RefKey(Org, model, StoreLayout.DefaultRef, 1, commit), ReadOnlyMemory<byte>.Empty, CancellationToken.None);
            cases.Add(new HostileCase(model, description, expect, log));
            return commit;
        }

        async Task<string> Object(string model, string commit, string path, byte[] bytes)
        {
            var info = await store.PutAsync(layout.FileKey(Org, model, commit, path), bytes, CancellationToken.None);
            return info.ETag;
        }

        // The control: a sound model in the same organisation, served before, between and after the hostile ones.
        var goodCommit = Commit(GoodModel);
        var goodEtag = await Object(GoodModel, goodCommit, "config.json", GoodBytes);
        await store.PutAsync(layout.ManifestKey(Org, GoodModel, goodCommit),
            Encoding.UTF8.GetBytes(Manifest(GoodModel, goodCommit, [File("config.json", GoodBytes.Length, Sha(GoodBytes), goodEtag)])), CancellationToken.None);
        await store.PutAsync(layout.RefKey(Org, GoodModel, StoreLayout.DefaultRef, 1, goodCommit), ReadOnlyMemory<byte>.Empty, CancellationToken.None);

        await Model("bad-json", _ => Task.FromResult("{\"format\": 1, \"org\": \"acme-hostile\", \"files\": [ {\"path\": "),
            HostileExpectation.NotServed, "manifest that is not JSON", "bad-json/");
        await Model("null-files", c => Task.FromResult($"{{\"format\":1,\"org\":\"{Org}\",\"model\":\"null-files\",\"commit\":\"{c}\",\"files\":null}}"),
            HostileExpectation.NotServed, "\"files\": null", "null-files/");
        await Model("null-entry", c => Task.FromResult($"{{\"format\":1,\"org\":\"{Org}\",\"model\":\"null-entry\",\"commit\":\"{c}\",\"files\":[null, {{\"path\":null,\"size\":1,\"sha256\":null,\"eTag\":null}}]}}"),
            HostileExpectation.NotServed, "null file entries and fields", "null-entry/");
        await Model("wrong-owner", c => Task.FromResult(Manifest(GoodModel, goodCommit, [File("config.json", GoodBytes.Length, Sha(GoodBytes), goodEtag)])),
            HostileExpectation.NotServed, "manifest naming another model", "wrong-owner/");
        await Model("dotdot-path", c => Task.FromResult(Manifest("dotdot-path", c, [File($"../../{GoodModel}/{goodCommit}/config.json", GoodBytes.Length, Sha(GoodBytes), goodEtag)])),
            HostileExpectation.NotServed, "'../' path", "dotdot-path/");
        await Model("absolute-path", c => Task.FromResult(Manifest("absolute-path", c, [File("/etc/passwd", 10, Sha([]), "x")])),
            HostileExpectation.NotServed, "absolute path", "absolute-path/");
        await Model("duplicate-path", async c =>
            {
                var etag = await Object("duplicate-path", c, "a.txt", GoodBytes);
                return Manifest("duplicate-path", c, [File("a.txt", GoodBytes.Length, Sha(GoodBytes), etag), File("a.txt", 7, Sha(GoodBytes), etag)]);
            },
            HostileExpectation.NotServed, "duplicate paths", "duplicate-path/");
        await Model("file-and-dir", async c =>
            {
                var etag = await Object("file-and-dir", c, "a", GoodBytes);
                return Manifest("file-and-dir", c, [File("a", GoodBytes.Length, Sha(GoodBytes), etag), File("a/b", GoodBytes.Length, Sha(GoodBytes), etag)]);
            },
            HostileExpectation.NotServed, "a path that is a file and a directory", "file-and-dir/");
        await Model("negative-size", c => Task.FromResult(Manifest("negative-size", c, [File("a.txt", -5, Sha([]), "x")])),
            HostileExpectation.NotServed, "negative size", "negative-size/");
        await Model("size-larger", async c =>
            {
                var etag = await Object("size-larger", c, "w.bin", GoodBytes);
                return Manifest("size-larger", c, [File("w.bin", GoodBytes.Length * 2, Sha(GoodBytes), etag)]);
            },
            HostileExpectation.ReadFails, "size larger than the object", null);
        await Model("size-smaller", async c =>
            {
                var etag = await Object("size-smaller", c, "w.bin", GoodBytes);
                return Manifest("size-smaller", c, [File("w.bin", GoodBytes.Length / 2, Sha(GoodBytes), etag)]);
            },
            HostileExpectation.ReadFails, "size smaller than the object (sha256 of the whole object)", null);
        await Model("missing-object", c => Task.FromResult(Manifest("missing-object", c, [File("gone.bin", 100, Sha(Bytes(100, 3)), "x")])),
            HostileExpectation.ReadFails, "object missing", null);

        // A garbage ref entry next to a sound one: the sound one is served, the garbage ignored.
        var refCommit = Commit("garbage-ref");
        var refEtag = await Object("garbage-ref", refCommit, "config.json", GoodBytes);
        await store.PutAsync(layout.ManifestKey(Org, "garbage-ref", refCommit),
            Encoding.UTF8.GetBytes(Manifest("garbage-ref", refCommit, [File("config.json", GoodBytes.Length, Sha(GoodBytes), refEtag)])), CancellationToken.None);
        var refs = layout.RefsPrefix(Org, "garbage-ref", StoreLayout.DefaultRef);
        await store.PutAsync(layout.RefKey(Org, "garbage-ref", StoreLayout.DefaultRef, 1, refCommit), ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        foreach (var garbage in (string[])["garbage", "0000000009-nothex", "99999999999999999999999-" + refCommit, "-" + refCommit, "0000000005-" + refCommit.ToUpperInvariant()])
        {
            await store.PutAsync(refs + garbage, Encoding.UTF8.GetBytes("junk"), CancellationToken.None);
        }

        cases.Add(new HostileCase("garbage-ref", "garbage ref entries beside a valid one", HostileExpectation.ServedCorrectly, null));

        // A ref naming a commit without a manifest: the model is not served.
        var dangling = Commit("dangling-ref");
        await store.PutAsync(layout.RefKey(Org, "dangling-ref", StoreLayout.DefaultRef, 1, dangling), ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        cases.Add(new HostileCase("dangling-ref", "ref to a commit without a manifest", HostileExpectation.NotServed, "dangling-ref"));
        return cases;
    }

    /// <summary>A valid manifest of about <paramref name="bytes"/> bytes: many small files, one real object.</summary>
    public static async Task<(string Commit, int Files)> WriteHugeAsync(IObjectStore store, StoreLayout layout, string model, int bytes)
    {
        var commit = Commit(model);
        var etag = (await store.PutAsync(layout.FileKey(Org, model, commit, "config.json"), GoodBytes, CancellationToken.None)).ETag;
        var files = new List<JsonObject> { File("config.json", GoodBytes.Length, Sha(GoodBytes), etag) };
        long written = 0;
        for (var i = 0; written < bytes; i++)
        {
            var file = File(string.Create(CultureInfo.InvariantCulture, $"shards/{i / 1000:D4}/part-{i:D7}-{new string('x', 40)}.bin"), 1, Sha([0]), "etag-not-read");
            written += file.ToJsonString().Length + 1;
            files.Add(file);
        }

        var text = Manifest(model, commit, files);
        await store.PutAsync(layout.ManifestKey(Org, model, commit), Encoding.UTF8.GetBytes(text), CancellationToken.None);
        await store.PutAsync(layout.RefKey(Org, model, StoreLayout.DefaultRef, 1, commit), ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        Assert.True(Encoding.UTF8.GetByteCount(text) >= bytes, "the manifest is not as big as asked");
        return (commit, files.Count);
    }

    public static string Commit(string model) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("hostile/" + model)))[..40];

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static JsonObject File(string path, long size, string sha256, string etag) =>
        new() { ["path"] = path, ["size"] = size, ["sha256"] = sha256, ["eTag"] = etag };

    private static string Manifest(string model, string commit, IEnumerable<JsonObject> files) => new JsonObject
    {
        ["format"] = 1,
        ["org"] = Org,
        ["model"] = model,
        ["commit"] = commit,
        ["revision"] = "main",
        ["ingestedAt"] = "2026-01-01T00:00:00+00:00",
        ["source"] = "upload",
        ["files"] = new JsonArray([.. files]),
    }.ToJsonString();
}
