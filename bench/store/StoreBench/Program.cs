using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PutBucketRequest = Amazon.S3.Model.PutBucketRequest;
using HcpModelFs.Store;
using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.S3;

// Raw store benchmark: multipart PUT, ranged GETs of 8 MiB with 1/4/8/16 in flight into memory, and curl's single GET
// of the same object, each `runs` times; medians in MB/s (10^6 bytes per second).
// Read-only mode (bench/run): `--bucket B --key K [--in-flight 16]` reads an existing object (any bytes) with ranged GETs
// only: no PUT, no curl, nothing deleted.
var options = ParseArgs(args);
var env = DotEnvParser.Parse(await File.ReadAllTextAsync(options["env"]));
var sizeMiB = int.Parse(options.GetValueOrDefault("size-mib", "2048"), CultureInfo.InvariantCulture);
var runs = int.Parse(options.GetValueOrDefault("runs", "3"), CultureInfo.InvariantCulture);
var outPath = options.GetValueOrDefault("out");
const int RangeSize = 8 << 20;
const int PartSize = 16 << 20;
const int UploadParallelism = 4;
var readOnlyKey = options.GetValueOrDefault("key");
var Bucket = options.GetValueOrDefault("bucket", "hcpmodelfs-bench");
var inFlightLevels = options.GetValueOrDefault("in-flight", "1,4,8,16").Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
var size = (long)sizeMiB << 20;
var endpoint = new Uri(env["S3_ENDPOINT"]);
var settings = new StoreSettings
{
    Endpoint = endpoint,
    Bucket = Bucket,
    AccessKey = CredentialSource.FromValue(env["S3_ACCESS_KEY_ID"]),
    SecretKey = CredentialSource.FromValue(env["S3_SECRET_ACCESS_KEY"]),
    MaxConnections = 64,
    AttemptTimeout = TimeSpan.FromMinutes(2),
};
var client = S3ClientFactory.Create(settings);
if (readOnlyKey is null)
{
    await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
}

using var store = new S3ObjectStore(client, Bucket, "bench", ownsClient: true);
if (readOnlyKey is not null)
{
    size = (await store.HeadAsync(readOnlyKey, CancellationToken.None) ?? throw new InvalidOperationException($"{readOnlyKey} not found")).Size;
}

// One source buffer of pseudo-random bytes; parts are slices of it (the object repeats it).
var source = new byte[PartSize];
new Random(1).NextBytes(source);

var results = new JsonObject
{
    ["date"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["object_bytes"] = size,
    ["runs"] = runs,
    ["range_bytes"] = RangeSize,
    ["part_bytes"] = PartSize,
    ["upload_parallelism"] = UploadParallelism,
    ["store"] = "Ceph RGW 16 (bluestore on a sparse file), 127.0.0.1",
    ["cpus"] = Environment.ProcessorCount,
};
var rows = new List<(string Name, double[] Values)>();

// Multipart PUT: run 1 creates the object the reads use; later runs write scratch keys that are deleted again.
var Key = readOnlyKey ?? "bench/object.bin";
var put = new double[runs];
for (var r = 0; r < runs && readOnlyKey is null; r++)
{
    var key = r == 0 ? Key : $"bench/put-{r}.bin";
    var watch = Stopwatch.StartNew();
    var uploadId = await store.CreateMultipartAsync(key, CancellationToken.None);
    var partCount = (int)((size + PartSize - 1) / PartSize);
    var parts = new PartETag[partCount];
    await Parallel.ForEachAsync(Enumerable.Range(1, partCount),
        new ParallelOptions { MaxDegreeOfParallelism = UploadParallelism },
        async (n, ct) =>
        {
            var length = (int)Math.Min(PartSize, size - ((long)(n - 1) * PartSize));
            parts[n - 1] = await store.UploadPartAsync(key, uploadId, n, source.AsMemory(0, length), ct);
        });
    var info = await store.CompleteMultipartAsync(key, uploadId, parts, CancellationToken.None);
    put[r] = size / watch.Elapsed.TotalSeconds / 1e6;
    if (info.Size != size)
    {
        throw new InvalidOperationException($"uploaded {info.Size} bytes, expected {size}");
    }

    if (r > 0)
    {
        await store.DeleteAsync(key, CancellationToken.None);
    }

    await Console.Error.WriteLineAsync($"multipart PUT run {r + 1}: {put[r]:F0} MB/s");
}

if (readOnlyKey is null)
{
    rows.Add(($"multipart PUT ({PartSize >> 20} MiB parts, {UploadParallelism} in flight)", put));
}

// Ranged GETs of the whole object, 8 MiB each, N in flight, straight into per-worker buffers.
foreach (var inFlight in inFlightLevels)
{
    var values = new double[runs];
    for (var r = 0; r < runs; r++)
    {
        var next = -1L;
        var ranges = (size + RangeSize - 1) / RangeSize;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, inFlight).Select(async _ =>
        {
            var buffer = GC.AllocateUninitializedArray<byte>(RangeSize, pinned: true);
            long i;
            while ((i = Interlocked.Increment(ref next)) < ranges)
            {
                var offset = i * RangeSize;
                var length = (int)Math.Min(RangeSize, size - offset);
                await store.ReadRangeAsync(Key, offset, buffer.AsMemory(0, length), null, CancellationToken.None);
                if (readOnlyKey is null && buffer[0] != source[(int)(offset % PartSize)])
                {
                    throw new InvalidOperationException($"wrong bytes at {offset}");
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        values[r] = size / watch.Elapsed.TotalSeconds / 1e6;
        await Console.Error.WriteLineAsync($"ranged GET x{inFlight} run {r + 1}: {values[r]:F0} MB/s");
    }

    rows.Add(($"ranged GET 8 MiB, {inFlight} in flight", values));
}

// curl: one plain GET of the whole object to /dev/null, signed with --aws-sigv4.
var curl = new double[runs];
for (var r = 0; r < runs && readOnlyKey is null; r++)
{
    var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[]
    {
        "-sS", "-f", "-o", "/dev/null", "-w", "%{size_download} %{time_total}",
        "--aws-sigv4", "aws:amz:us-east-1:s3", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
        "--user", $"{env["S3_ACCESS_KEY_ID"]}:{env["S3_SECRET_ACCESS_KEY"]}",
        new Uri(endpoint, $"{Bucket}/{Key}").ToString(),
    })
    {
        psi.ArgumentList.Add(a);
    }

    using var p = Process.Start(psi)!;
    var output = await p.StandardOutput.ReadToEndAsync();
    await p.WaitForExitAsync();
    var parts = output.Split(' ');
    var bytes = double.Parse(parts[0], CultureInfo.InvariantCulture);
    var seconds = double.Parse(parts[1], CultureInfo.InvariantCulture);
    if (p.ExitCode != 0 || (long)bytes != size)
    {
        throw new InvalidOperationException($"curl failed (exit {p.ExitCode}, {bytes} bytes)");
    }

    curl[r] = bytes / seconds / 1e6;
    await Console.Error.WriteLineAsync($"curl GET run {r + 1}: {curl[r]:F0} MB/s");
}

if (readOnlyKey is null)
{
    rows.Add(("curl single GET (whole object)", curl));
    await store.DeleteAsync(Key, CancellationToken.None);
}

var table = new StringBuilder();
table.AppendLine(CultureInfo.InvariantCulture, $"Raw store throughput, {sizeMiB} MiB object, {runs} runs, MB/s (10^6 B/s)");
table.AppendLine();
table.AppendLine("| what | median MB/s | runs |");
table.AppendLine("| --- | ---: | --- |");
var json = new JsonArray();
foreach (var (name, values) in rows)
{
    var median = Median(values);
    table.AppendLine(CultureInfo.InvariantCulture,
        $"| {name} | {median:F0} | {string.Join(" / ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))} |");
    json.Add(new JsonObject { ["name"] = name, ["median_mb_s"] = Math.Round(median, 1), ["runs_mb_s"] = new JsonArray(values.Select(v => (JsonNode)Math.Round(v, 1)).ToArray()) });
}

results["results"] = json;
await Console.Out.WriteLineAsync(table.ToString());
if (outPath is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
    await File.WriteAllTextAsync(outPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    await Console.Error.WriteLineAsync($"wrote {outPath}");
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

    if (!d.ContainsKey("env"))
    {
        throw new ArgumentException("usage: StoreBench --env <rgw.env> [--size-mib 2048] [--runs 3] [--out file.json] [--bucket B --key K (read-only)] [--in-flight 1,4,8,16]");
    }

    return d;
}
