using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HcpModelFs.Hub;
using HcpModelFs.Hub.Http;
using HcpModelFs.Store;
using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.S3;
using HcpModelFs.Testing.Hub;
using PutBucketRequest = Amazon.S3.Model.PutBucketRequest;

// Ingest denominators (design.md §9 row 11) and the Hub the daemon ingests from, for bench/ingest/run.sh:
//  1. hosts the fake Hub (API on 127.0.0.1, CDN on 127.0.0.2) with bench/big-model = one generated LFS shard of
//     size-mib MiB + config.json, and writes the Hub's URI to --uri-file;
//  2. RAW_HUB: ranged GETs of 8 MiB, 8 in flight, of the shard into memory through HttpModelHub;
//     RAW_STORE: multipart upload of the same size in 8 MiB parts, 8 in flight, from memory, through the store the
//     daemon builds (ObjectStoreFactory: S3ObjectStore + resilience);
//     PIPE (informative): the two at once, each part read from the Hub and uploaded as it is, no cache, no hashing;
//     each `runs` times, medians in MB/s (10^6 bytes per second), written to --out, then --ready-file is created;
//  3. keeps the Hub up until --stop-file appears, --watch-pid exits or --max-seconds pass. Meanwhile a file
//     <ctl-dir>/snap-NAME is answered with <ctl-dir>/NAME.json: bytes and requests the Hub served so far.
var options = ParseArgs(args);
var env = DotEnvParser.Parse(await File.ReadAllTextAsync(options["env"]));
var sizeMiB = int.Parse(options.GetValueOrDefault("size-mib", "1024"), CultureInfo.InvariantCulture);
var runs = int.Parse(options.GetValueOrDefault("runs", "3"), CultureInfo.InvariantCulture);
var bucket = options.GetValueOrDefault("bucket", "bench");
var outPath = options["out"];
var ctlDir = options["ctl-dir"];
int? watchPid = options.TryGetValue("watch-pid", out var pidText) ? int.Parse(pidText, CultureInfo.InvariantCulture) : null;
var maxSeconds = int.Parse(options.GetValueOrDefault("max-seconds", "7200"), CultureInfo.InvariantCulture);
const int ChunkSize = 8 << 20;
const int InFlight = 8;
const string RepoName = "bench/big-model";
const string ShardPath = "model.safetensors";
const ulong Seed = 20261123;
var size = (long)sizeMiB << 20;
using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
var ct = lifetime.Token;

// The fake Hub computes sha256 lazily on first use: do it now, so no measured request pays for it.
var content = FakeContent.Generated(size, Seed);
var shard = FakeHubFile.Lfs(ShardPath, content);
var hashWatch = Stopwatch.StartNew();
var sha256 = shard.Sha256;
var gitOid = shard.GitOid;
await Console.Error.WriteLineAsync($"fake Hub: {RepoName}/{ShardPath} {size} bytes sha256 {sha256} (hashed in {hashWatch.Elapsed.TotalSeconds:F1} s)");
var catalog = new FakeHubCatalog();
catalog.AddRepo(RepoName, [shard, FakeHubFile.Regular("config.json", "{}")]);
await using var server = await FakeHubServer.StartAsync(catalog, ct);
Directory.CreateDirectory(ctlDir);
await WriteAtomicAsync(Path.Combine(ctlDir, "hub.uri"), server.HubUri.AbsoluteUri.TrimEnd('/'));

var settings = new StoreSettings
{
    Endpoint = new Uri(env["S3_ENDPOINT"]),
    Bucket = bucket,
    AccessKey = CredentialSource.FromValue(env["S3_ACCESS_KEY_ID"]),
    SecretKey = CredentialSource.FromValue(env["S3_SECRET_ACCESS_KEY"]),
};
using (var client = S3ClientFactory.Create(settings))
{
    await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, ct);
}

var store = ObjectStoreFactory.Create(settings, "/nonexistent");
using var hub = new HttpModelHub(new HubOptions { Endpoint = server.HubUri });
var repo = HubRepoId.Parse(RepoName);
var commit = (await hub.ResolveRevisionAsync(repo, "HEAD", ct)).CommitSha;

var source = new byte[ChunkSize];
content.Fill(0, source);
var rows = new List<(string Name, string Key, double[] Values, double[] MachineCpu)>();

// RAW_HUB: whole shard, 8 MiB ranges, 8 in flight, into per-worker buffers; the first 8 bytes of each range checked.
var rawHub = new double[runs];
var rawHubCpu = new double[runs];
for (var r = 0; r < runs; r++)
{
    (rawHub[r], rawHubCpu[r]) = await RawHubOnceAsync();
    await Console.Error.WriteLineAsync($"RAW_HUB run {r + 1}: {rawHub[r]:F0} MB/s, machine {rawHubCpu[r]:F2} CPU-s/GiB");
}

rows.Add(($"raw Hub download: ranged GET 8 MiB, {InFlight} in flight, fake Hub CDN -> memory", "raw_hub", rawHub, rawHubCpu));

// RAW_STORE: one multipart upload of the same size per run, 8 MiB parts from one buffer, deleted afterwards. One untimed
// upload first: a fresh bluestore OSD allocates as it is first written (the first run measured about half the others).
await MultipartAsync(store, "ingest-bench/warm-up.bin", size, FromSource);
var rawStore = new double[runs];
var rawStoreCpu = new double[runs];
for (var r = 0; r < runs; r++)
{
    var key = $"ingest-bench/raw-store-{r}.bin";
    var cpu = MachineCpu.Now();
    rawStore[r] = await MultipartAsync(store, key, size, FromSource);
    rawStoreCpu[r] = PerGib(cpu.BusySecondsSince());
    await Console.Error.WriteLineAsync($"RAW_STORE run {r + 1}: {rawStore[r]:F0} MB/s, machine {rawStoreCpu[r]:F2} CPU-s/GiB");
}

rows.Add(($"raw store upload: multipart, 8 MiB parts, {InFlight} in flight, memory -> RGW", "raw_store", rawStore, rawStoreCpu));

// PIPE: each 8 MiB range read from the Hub and uploaded as that part; the plain pipe without cache or verification.
var pipe = new double[runs];
var pipeCpu = new double[runs];
for (var r = 0; r < runs; r++)
{
    var key = $"ingest-bench/pipe-{r}.bin";
    var cpu = MachineCpu.Now();
    pipe[r] = await MultipartAsync(store, key, size, async (index, buffer) =>
    {
        var offset = index * ChunkSize;
        var part = buffer[..(int)Math.Min(ChunkSize, size - offset)];
        await hub.ReadRangeAsync(repo, commit, ShardPath, offset, part, ct);
        return part;
    });
    pipeCpu[r] = PerGib(cpu.BusySecondsSince());
    await Console.Error.WriteLineAsync($"PIPE run {r + 1}: {pipe[r]:F0} MB/s, machine {pipeCpu[r]:F2} CPU-s/GiB");
}

rows.Add(($"pipe: Hub range -> store part, 8 MiB, {InFlight} in flight (no cache, no hash)", "pipe", pipe, pipeCpu));

var results = new JsonObject
{
    ["date"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["model"] = RepoName,
    ["shard"] = ShardPath,
    ["shard_bytes"] = size,
    ["shard_sha256"] = sha256,
    ["shard_git_oid"] = gitOid,
    ["commit"] = commit,
    ["runs"] = runs,
    ["chunk_bytes"] = ChunkSize,
    ["in_flight"] = InFlight,
    ["hub"] = $"fake Hub (Kestrel) {server.HubUri}, CDN {server.CdnUri}, in this process",
    ["store"] = "Ceph RGW (bluestore on a sparse file), 127.0.0.1, via ObjectStoreFactory",
    ["cpus"] = Environment.ProcessorCount,
};
var table = new StringBuilder();
table.AppendLine(CultureInfo.InvariantCulture, $"Ingest denominators, {sizeMiB} MiB shard, {runs} runs, MB/s (10^6 B/s)");
table.AppendLine();
table.AppendLine("| what | median MB/s | runs |");
table.AppendLine("| --- | ---: | --- |");
var json = new JsonArray();
foreach (var (name, key, values, machineCpu) in rows)
{
    var median = Median(values);
    results[key + "_mb_s"] = Math.Round(median, 1);
    results[key + "_machine_cpu_s_per_gib"] = Math.Round(Median(machineCpu), 2);
    table.AppendLine(CultureInfo.InvariantCulture,
        $"| {name} | {median:F0} | {string.Join(" / ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))} |");
    json.Add(new JsonObject { ["name"] = name, ["median_mb_s"] = Math.Round(median, 1), ["runs_mb_s"] = new JsonArray(values.Select(v => (JsonNode)Math.Round(v, 1)).ToArray()) });
}

results["results"] = json;
results["hub_served_after_raws"] = HubStats(server);
if (store is IDisposable disposable)
{
    disposable.Dispose();
}

await Console.Error.WriteLineAsync(table.ToString());
await WriteAtomicAsync(outPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
await WriteAtomicAsync(Path.Combine(ctlDir, "ready"), "ready");

// Serve the Hub to the daemon until told to stop (bounded by --max-seconds and the watched process).
var stopFile = Path.Combine(ctlDir, "stop");
while (!ct.IsCancellationRequested && !File.Exists(stopFile) && (watchPid is null || Directory.Exists($"/proc/{watchPid}")))
{
    foreach (var request in Directory.GetFiles(ctlDir, "snap-*"))
    {
        var name = Path.GetFileName(request)["snap-".Length..];
        await WriteAtomicAsync(Path.Combine(ctlDir, name + ".json"), HubStats(server).ToJsonString());
        File.Delete(request);
    }

    // rawhub-NAME: one more RAW_HUB pass now (bench/ingest's link-capped row measures its denominator under the cap).
    foreach (var request in Directory.GetFiles(ctlDir, "rawhub-*"))
    {
        var name = Path.GetFileName(request)["rawhub-".Length..];
        File.Delete(request);
        var (mbps, cpu) = await RawHubOnceAsync();
        await WriteAtomicAsync(Path.Combine(ctlDir, name + ".json"),
            new JsonObject { ["mb_s"] = Math.Round(mbps, 1), ["machine_cpu_s_per_gib"] = Math.Round(cpu, 2) }.ToJsonString());
    }

    await Task.Delay(100, CancellationToken.None);
}

await Console.Error.WriteLineAsync(ct.IsCancellationRequested ? $"IngestBench: --max-seconds {maxSeconds} passed, stopping the Hub" : "IngestBench: stopping the Hub");
return 0;

// One RAW_HUB pass: MB/s and the machine's busy CPU-seconds per GiB (the fake Hub serving included: it is in this process).
async Task<(double MbPerSecond, double MachineCpuPerGib)> RawHubOnceAsync()
{
    var cpu = MachineCpu.Now();
    var seconds = await ForEachChunkAsync(size, async (offset, buffer) =>
    {
        await hub.ReadRangeAsync(repo, commit, ShardPath, offset, buffer, ct);
        CheckBytes(content, offset, buffer.Span);
    });
    return (size / seconds / 1e6, PerGib(cpu.BusySecondsSince()));
}

// CPU-seconds spent on the shard -> CPU-seconds per GiB.
double PerGib(double cpuSeconds) => cpuSeconds / ((double)size / (1L << 30));

// RAW_STORE's parts: every part from the one generated buffer (no Hub, no copy).
ValueTask<Memory<byte>> FromSource(long index, Memory<byte> _) =>
    ValueTask.FromResult(source.AsMemory(0, (int)Math.Min(ChunkSize, size - (index * ChunkSize))));

// Runs work(offset, buffer) over every chunk of `total` bytes with InFlight workers; returns the elapsed seconds.
async Task<double> ForEachChunkAsync(long total, Func<long, Memory<byte>, Task> work)
{
    var next = -1L;
    var chunks = (total + ChunkSize - 1) / ChunkSize;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ChunkSize, pinned: true);
        long i;
        while ((i = Interlocked.Increment(ref next)) < chunks)
        {
            var offset = i * ChunkSize;
            await work(offset, buffer.AsMemory(0, (int)Math.Min(ChunkSize, total - offset)));
        }
    }));
    return watch.Elapsed.TotalSeconds;
}

// One multipart upload of `total` bytes, part i's bytes from part(i, workerBuffer); deleted afterwards. Returns MB/s.
async Task<double> MultipartAsync(IObjectStore target, string key, long total, Func<long, Memory<byte>, ValueTask<Memory<byte>>> part)
{
    var watch = Stopwatch.StartNew();
    var uploadId = await target.CreateMultipartAsync(key, ct);
    var parts = new PartETag[(total + ChunkSize - 1) / ChunkSize];
    await ForEachChunkAsync(total, async (offset, buffer) =>
    {
        var index = offset / ChunkSize;
        var bytes = await part(index, buffer);
        parts[index] = await target.UploadPartAsync(key, uploadId, (int)index + 1, bytes, ct);
    });
    var info = await target.CompleteMultipartAsync(key, uploadId, parts, ct);
    var mbps = total / watch.Elapsed.TotalSeconds / 1e6;
    if (info.Size != total)
    {
        throw new InvalidOperationException($"{key}: uploaded {info.Size} bytes, expected {total}");
    }

    await target.DeleteAsync(key, ct);
    return mbps;
}

static void CheckBytes(FakeContent content, long offset, ReadOnlySpan<byte> got)
{
    Span<byte> expected = stackalloc byte[8];
    var n = Math.Min(8, got.Length);
    content.Fill(offset, expected[..n]);
    if (!got[..n].SequenceEqual(expected[..n]))
    {
        throw new InvalidOperationException($"wrong bytes from the Hub at {offset}");
    }
}

// Requests the fake Hub has seen so far, the bytes the CDN was asked for (ranges) and the file bytes it sent
// (FileBytesSent: resolve and CDN bodies, a body cut short counted in full; what the rows count).
static JsonObject HubStats(FakeHubServer server)
{
    var requests = server.Requests;
    long cdnBytes = 0;
    var cdnRequests = 0;
    var failed = 0;
    foreach (var r in requests)
    {
        if (r.Status >= 400)
        {
            failed++;
        }

        if (!r.OnCdn || r.Status is not (200 or 206))
        {
            continue;
        }

        cdnRequests++;
        cdnBytes += RangeLength(r.Range) ?? 0;
    }

    return new JsonObject
    {
        ["requests"] = requests.Count,
        ["api_requests"] = requests.Count(r => !r.OnCdn),
        ["cdn_requests"] = cdnRequests,
        ["cdn_range_bytes"] = cdnBytes,
        ["file_bytes"] = server.FileBytesSent,
        ["failed_requests"] = failed,
    };
}

static long? RangeLength(string? range)
{
    // "bytes=a-b" (the only form HttpModelHub sends).
    if (range is null || !range.StartsWith("bytes=", StringComparison.Ordinal))
    {
        return null;
    }

    var dash = range.IndexOf('-', StringComparison.Ordinal);
    return dash > 6
        && long.TryParse(range.AsSpan(6, dash - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
        && long.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
        ? last - first + 1
        : null;
}

static async Task WriteAtomicAsync(string path, string text)
{
    var full = Path.GetFullPath(path);
    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
    var temp = full + ".tmp";
    await File.WriteAllTextAsync(temp, text);
    File.Move(temp, full, overwrite: true);
}

static double Median(double[] values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var d = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        d[args[i].TrimStart('-')] = args[i + 1];
    }

    if (!d.ContainsKey("env") || !d.ContainsKey("out") || !d.ContainsKey("ctl-dir"))
    {
        throw new ArgumentException(
            "usage: IngestBench --env <rgw.env> --out <raw.json> --ctl-dir <dir> [--bucket bench] [--size-mib 1024] [--runs 3] [--watch-pid PID] [--max-seconds 7200]");
    }

    return d;
}
