using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.S3;
using Xunit;

namespace HcpModelFs.Testing.Store;

/// <summary>
/// A real Ceph RGW on 127.0.0.1, started once per test run by <c>scripts/rgw.sh</c> (memstore, ~15 s) and always
/// stopped in <see cref="DisposeAsync"/>; the script's watchdog also stops it if the test process dies. Missing
/// prerequisites FAIL with a clear message. Use it as a collection fixture
/// (<c>[CollectionDefinition(RgwFixture.CollectionName)] class X : ICollectionFixture&lt;RgwFixture&gt;</c>).
/// </summary>
public sealed class RgwFixture : IAsyncLifetime
{
    public const string CollectionName = "Ceph RGW";
    public const string DefaultBucket = "hcpmodelfs-test";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(150);

    /// <summary>
    /// The OSD keeps objects in RAM. A full OSD does not fail writes, it blocks them, so every later test would hang
    /// until its timeout: size it for the whole suite (about 1 GiB written today) with room to spare.
    /// </summary>
    private const string MemstoreSize = "4G";
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"hcpmodelfs-rgw-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    private Dictionary<string, string> _env = new(StringComparer.Ordinal);
    private AmazonS3Client? _admin;

    public Uri Endpoint { get; private set; } = new("http://127.0.0.1/");

    public string AccessKey => _env["S3_ACCESS_KEY_ID"];

    public string SecretKey => _env["S3_SECRET_ACCESS_KEY"];

    public string Region { get; } = "us-east-1";

    public string Bucket { get; } = DefaultBucket;

    /// <summary>
    /// A daemon's environment for this store (reached through <paramref name="endpoint"/>: the store itself or a proxy
    /// in front of it) under <paramref name="prefix"/>, plus <paramref name="more"/>.
    /// </summary>
    public Dictionary<string, string> StoreEnvironment(Uri endpoint, string prefix, IReadOnlyDictionary<string, string>? more = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HCP_ENDPOINT"] = endpoint.ToString(),
            ["HCP_NAMESPACE"] = Bucket,
            ["HCP_ACCESS_KEY"] = AccessKey,
            ["HCP_SECRET_KEY"] = SecretKey,
            ["HCP_PREFIX"] = prefix,
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return env;
    }

    /// <summary>How long start-up took (reported by tests).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>A raw SDK client with the store's settings, for setup and assertions.</summary>
    public IAmazonS3 AdminClient => _admin ?? throw new InvalidOperationException("RGW is not running");

    public static string RepositoryRoot() => RepoPaths.Root;

    public async Task InitializeAsync()
    {
        var started = Stopwatch.StartNew();
        var script = Path.Combine(RepositoryRoot(), "scripts", "rgw.sh");
        try
        {
            var (code, output) = await RunAsync("bash", [script, "start", _scratch, "--memstore", MemstoreSize, "--watch-pid",
                Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)], ScriptTimeout);
            if (code != 0)
            {
                throw new InvalidOperationException(
                    $"scripts/rgw.sh start failed (exit {code}). Ceph RGW is required for these tests: " +
                    "apt-get install --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl\n" + output);
            }

            _env = DotEnvParser.Parse(await File.ReadAllTextAsync(Path.Combine(_scratch, "rgw.env")));
            Endpoint = new Uri(_env["S3_ENDPOINT"]);
            Secrets.SecretScanner.Register(AccessKey, "the RGW access key");
            Secrets.SecretScanner.Register(SecretKey, "the RGW secret key");
            _admin = (AmazonS3Client)S3ClientFactory.Create(Settings(Endpoint));
            await CreateBucketAsync(DefaultBucket);
            StartupTime = started.Elapsed;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        _admin = null;
        var script = Path.Combine(RepositoryRoot(), "scripts", "rgw.sh");
        await RunAsync("bash", [script, "stop", _scratch], TimeSpan.FromSeconds(60));
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Store settings for this RGW, optionally via another endpoint (the fault proxy).</summary>
    public StoreSettings Settings(Uri? endpoint = null, string? secretKey = null) => new()
    {
        Endpoint = endpoint ?? Endpoint,
        Bucket = DefaultBucket,
        Region = Region,
        AccessKey = CredentialSource.FromValue(AccessKey),
        SecretKey = CredentialSource.FromValue(secretKey ?? SecretKey),
        MaxConnections = 32,
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    public async Task CreateBucketAsync(string name)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await AdminClient.PutBucketAsync(new PutBucketRequest { BucketName = name }, cts.Token);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    /// <summary>A plain S3ObjectStore on this RGW (no resilience decorator).</summary>
    public S3ObjectStore CreateStore(Uri? endpoint = null, int listPageSize = 1000)
    {
        var settings = Settings(endpoint);
        return new S3ObjectStore(S3ClientFactory.Create(settings), DefaultBucket,
            $"{settings.Endpoint!.GetLeftPart(UriPartial.Authority)}/{DefaultBucket}", null, ownsClient: true)
        {
            ListPageSize = listPageSize,
        };
    }

    /// <summary>Does a key exist? (signed HEAD straight to RGW; used by the fault proxy's HCP personality).</summary>
    public async Task<bool> ExistsAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await AdminClient.GetObjectMetadataAsync(bucket, key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        try
        {
            // rgw.sh start prints the rgw.env it wrote, keys included: the one output not checked for secrets.
            var result = await Processes.ProcessRunner.RunUnscannedAsync(file, args, timeout);
            return (result.ExitCode, result.StandardOutput + result.StandardError);
        }
        catch (TimeoutException e)
        {
            return (-1, e.Message);
        }
    }
}
