using System.Security.Cryptography;
using System.Text.Json;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Processes;
using Xunit.Abstractions;

namespace HcpModelFs.IntegrationTests.Hub;

/// <summary>
/// Runs the real <c>@huggingface/hub</c> npm client (tests/node, pinned by package-lock.json) against the fake Hub:
/// modelInfo, listFiles over several pages, downloadFile whole and sliced for regular and LFS files through the
/// 302 to the CDN. If they disagree, the fake is wrong. Needs <c>node</c> and <c>npm ci --prefix tests/node</c>;
/// without them the test fails (it never passes silently).
/// </summary>
public sealed class HubFidelityTests(ITestOutputHelper output)
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Npm_client_modelInfo_listFiles_downloadFile_match_the_fake_hub()
    {
        var nodeDir = Path.Combine(HubTestSupport.RepoRoot(), "tests", "node");
        var package = Path.Combine(nodeDir, "node_modules", "@huggingface", "hub", "package.json");
        Assert.True(File.Exists(package),
            $"@huggingface/hub is not installed: run `npm ci --prefix tests/node` (looked for {package}).");
        var node = FindOnPath("node");
        Assert.True(node is not null, "`node` is not on PATH: install Node.js >= 20, then `npm ci --prefix tests/node`.");

        var catalog = ContractCatalog.Create(tensorBytesPerShard: 3 * 1024 * 1024);
        await using var server = await FakeHubServer.StartAsync(catalog).WaitAsync(HubTestSupport.Timeout);
        server.PageSize = 3;
        var repo = catalog.Repos[ContractCatalog.Model];
        var head = repo.Head;
        var expectationsPath = Path.Combine(Path.GetTempPath(), $"hcpmodelfs-fidelity-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(expectationsPath, JsonSerializer.Serialize(new
        {
            hubUrl = server.HubUri.AbsoluteUri.TrimEnd('/'),
            token = ContractCatalog.Token,
            otherToken = ContractCatalog.OtherToken,
            repo = ContractCatalog.Model,
            gatedRepo = ContractCatalog.Gated,
            models = new[] { ContractCatalog.Model, ContractCatalog.Gated, ContractCatalog.Private }.Select(id =>
            {
                var r = catalog.Repos[id];
                return new
                {
                    repo = id,
                    objectId = r.ObjectId,
                    @private = r.Visibility == FakeRepoVisibility.Private,
                    gated = r.Visibility == FakeRepoVisibility.Gated ? (object)r.GatedMode : false,
                    sha = r.Head.Sha,
                };
            }),
            files = head.Files.Values.Select(f => new
            {
                path = f.Path, size = f.Size, oid = f.GitOid, lfsOid = f.IsLfs ? f.Sha256 : null,
            }),
            directories = head.Directories.Order(StringComparer.Ordinal),
            downloads = new[]
            {
                Download(head.Files["config.json"], "main"),
                Download(head.Files["ünïcødé/データ.json"], "main"),
                Download(head.Files["name with spaces.txt"], head.Sha),
                Download(head.Files["model-00001-of-00002.safetensors"], "main"),
                Download(head.Files["model-00002-of-00002.safetensors"], head.Sha),
            },
        })).WaitAsync(HubTestSupport.Timeout);

        try
        {
            var (exit, stdout, stderr) = await RunNodeAsync(node!, nodeDir, expectationsPath);
            output.WriteLine(stdout);
            output.WriteLine(stderr);
            Assert.True(exit == 0, $"fidelity.mjs exited {exit}\nstdout: {stdout}\nstderr: {stderr}");
            using var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
            Assert.Empty(result.RootElement.GetProperty("failures").EnumerateArray());
            Assert.True(result.RootElement.GetProperty("checks").GetArrayLength() >= 40, stdout);
        }
        finally
        {
            File.Delete(expectationsPath);
        }

        var log = server.Requests;
        Assert.False(server.CdnSawAuthorization, "the npm client sent the token to the CDN host");
        Assert.True(log.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)
            && r.Query.Contains("cursor=", StringComparison.Ordinal)) >= 2, "listFiles did not follow pagination");
        Assert.Contains(log, r => r.Path.Contains("/revision/HEAD", StringComparison.Ordinal));
        Assert.Contains(log, r => r.OnCdn && r.Range == "bytes=0-0" && r.Status == 206);
        Assert.Contains(log, r => r.OnCdn && r.Range is null && r.Status == 200);
        Assert.Contains(log, r => r.OnCdn && r.Range is not null && r.Range != "bytes=0-0" && r.Status == 206);
        Assert.Contains(log, r => r.Route == FakeHubRouteKind.Resolve && r.Status == 302);
    }

    private static object Download(FakeHubFile file, string revision)
    {
        var bytes = file.Content.ToArray();
        var slices = new[] { (0, 1), (1, Math.Min(100, bytes.Length)), (bytes.Length / 2, bytes.Length) }
            .Select(s => new { start = s.Item1, end = s.Item2, sha256 = Sha256(bytes.AsSpan(s.Item1, s.Item2 - s.Item1)) });
        return new { path = file.Path, revision, size = file.Size, sha256 = Sha256(bytes), slices };
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunNodeAsync(
        string node, string nodeDir, string expectationsPath)
    {
        // No proxy may take the loopback traffic; empty values switch Node's proxy support off.
        var environment = new Dictionary<string, string>
        {
            ["FIDELITY_EXPECTATIONS"] = expectationsPath,
            ["HTTP_PROXY"] = string.Empty,
            ["HTTPS_PROXY"] = string.Empty,
            ["http_proxy"] = string.Empty,
            ["https_proxy"] = string.Empty,
        };
        var result = await ProcessRunner.RunAsync(node, [Path.Combine(nodeDir, "fidelity.mjs")], NodeTimeout, environment, nodeDir);
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
