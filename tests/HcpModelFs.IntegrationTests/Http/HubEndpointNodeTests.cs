using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.IntegrationTests.Hub;
using HcpModelFs.IntegrationTests.Mount;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;
using Xunit.Abstractions;

namespace HcpModelFs.IntegrationTests.Http;

/// <summary>
/// The real <c>@huggingface/hub</c> npm client (tests/node/endpoint.mjs, pinned by package-lock.json) with
/// <c>hubUrl</c> = our endpoint: a model served from Ceph RGW and one the store lacks (pulled through from the fake
/// Hub by this very run). Every byte it downloads or writes into its cache dir is checked against the source. Needs
/// <c>node</c> and <c>npm ci --prefix tests/node</c>; without them the test fails (it never passes silently).
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed class HubEndpointNodeTests(RgwFixture rgw, HubEndpointFixture fixture, ITestOutputHelper output)
    : IClassFixture<HubEndpointFixture>, IAsyncLifetime
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(180);

    public async Task InitializeAsync() => await fixture.EnsureStartedAsync(rgw).WaitAsync(TimeSpan.FromMinutes(3));

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Npm_client_modelInfo_listFiles_downloadFile_snapshotDownload_get_exact_bytes_including_pull_through()
    {
        var nodeDir = Path.Combine(HubTestSupport.RepoRoot(), "tests", "node");
        var package = Path.Combine(nodeDir, "node_modules", "@huggingface", "hub", "package.json");
        Assert.True(File.Exists(package), $"@huggingface/hub is not installed: run `npm ci --prefix tests/node` (looked for {package}).");
        var node = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        Assert.True(node is not null, "`node` is not on PATH: install Node.js >= 20, then `npm ci --prefix tests/node`.");

        var daemon = fixture.Shared;
        var model = fixture.Model;
        var published = model.Files.Select(f => (f.Path, Bytes: File.ReadAllBytes(Path.Combine(model.Directory, f.Path)), IsLfs: true)).ToList();
        var pulled = fixture.JsPulledFiles.Select(f => (f.Path, Bytes: f.Content.ToArray(), f.IsLfs)).ToList();
        var cacheDir = fixture.NewDirectory("js-hf-cache");
        var expectationsPath = Path.Combine(fixture.NewDirectory("js"), "expectations.json");
        await File.WriteAllTextAsync(expectationsPath, JsonSerializer.Serialize(new
        {
            hubUrl = daemon.HubUrl,
            cacheDir,
            repos = new[]
            {
                Repo($"{PublishedModel.Org}/{PublishedModel.Name}", model.Manifest.Commit, published, "model-00001-of-00002.safetensors"),
                Repo($"{HubEndpointFixture.HubOrg}/{HubEndpointFixture.JsPulledModel}", fixture.JsPulledCommit, pulled, "model-00001-of-00002.safetensors"),
            },
        }));

        var result = await ProcessRunner.RunAsync(node!, [Path.Combine(nodeDir, "endpoint.mjs")], NodeTimeout, new Dictionary<string, string>
        {
            ["ENDPOINT_EXPECTATIONS"] = expectationsPath,
            // No proxy may take the loopback traffic; empty values switch Node's proxy support off.
            ["HTTP_PROXY"] = string.Empty,
            ["HTTPS_PROXY"] = string.Empty,
            ["http_proxy"] = string.Empty,
            ["https_proxy"] = string.Empty,
        }, nodeDir);
        output.WriteLine(result.StandardOutput);
        output.WriteLine(result.StandardError);
        Assert.True(result.ExitCode == 0, $"endpoint.mjs exited {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
        using var json = JsonDocument.Parse(result.StandardOutput.Trim().Split('\n')[^1]);
        Assert.Empty(json.RootElement.GetProperty("failures").EnumerateArray());
        Assert.True(json.RootElement.GetProperty("checks").GetArrayLength() >= 60, result.StandardOutput);

        // The second model really was pulled through from the Hub by this run.
        Assert.Contains(fixture.Hub.Requests, r => r.OnCdn && r.Status is 200 or 206);
        Assert.Contains(fixture.JsPulledCommit, daemon.Process.StandardError, StringComparison.Ordinal);
    }

    private static object Repo(string repo, string sha, IReadOnlyList<(string Path, byte[] Bytes, bool IsLfs)> files, string sliced) => new
    {
        repo,
        sha,
        files = files.Select(f => new { path = f.Path, size = f.Bytes.Length, sha256 = Sha256(f.Bytes), lfsOid = f.IsLfs ? Sha256(f.Bytes) : null }),
        directories = files.SelectMany(f => Parents(f.Path)).Distinct().Order(StringComparer.Ordinal),
        downloads = files.Where(f => f.Path == sliced || f.Path == "config.json").Select(f => new
        {
            path = f.Path,
            revision = f.Path == sliced ? sha : "main",
            size = f.Bytes.Length,
            sha256 = Sha256(f.Bytes),
            slices = new[] { (0, 1), (1, Math.Min(100, f.Bytes.Length)), (f.Bytes.Length / 2, f.Bytes.Length) }
                .Select(s => new { start = s.Item1, end = s.Item2, sha256 = Sha256(f.Bytes.AsSpan(s.Item1, s.Item2 - s.Item1)) }),
        }),
    };

    private static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/', StringComparison.Ordinal); i >= 0; i = path.IndexOf('/', i + 1))
        {
            yield return path[..i];
        }
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
