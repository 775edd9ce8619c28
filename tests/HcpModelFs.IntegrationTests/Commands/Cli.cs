using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>Runs the published `hcpmodelfs` executable against the test RGW and checks the output conventions.</summary>
internal sealed class Cli(RgwFixture rgw, string prefix, string cacheDirectory)
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);

    public string CacheDirectory { get; } = cacheDirectory;

    public Dictionary<string, string> Environment(Uri? endpoint = null, string? secretKey = null) => new(StringComparer.Ordinal)
    {
        ["HCP_ENDPOINT"] = (endpoint ?? rgw.Endpoint).ToString(),
        ["HCP_NAMESPACE"] = rgw.Bucket,
        ["HCP_ACCESS_KEY"] = rgw.AccessKey,
        ["HCP_SECRET_KEY"] = secretKey ?? rgw.SecretKey,
        ["HCP_PREFIX"] = prefix,
        ["MODEL_CACHE_DIR"] = CacheDirectory,
        ["HCPMODELFS_BLOCK_SIZE"] = "1MiB",
        ["HCPMODELFS_HUB_INGEST"] = "off",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    public Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(Environment(), arguments);

    public static Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [NotifyingDaemon.Dll, .. arguments], Bounded, environment);

    /// <summary>Exit 0, nothing on stderr; the stdout.</summary>
    public static string Ok(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0 && result.StandardError.Length == 0, result.ToString());
        return result.StandardOutput;
    }

    public static JsonElement Json(ProcessResult result)
    {
        using var document = JsonDocument.Parse(Ok(result));
        return document.RootElement.Clone();
    }

    /// <summary>The documented exit code and exactly one stderr line, naming the verb, without stack trace or secret.</summary>
    public string OneLineError(ProcessResult result, int exitCode, string verb)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.ToString());
        Assert.StartsWith($"hcpmodelfs {verb}: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.StandardError, StringComparison.Ordinal);
        AssertNoSecret(result);
        return lines[0];
    }

    public void AssertNoSecret(ProcessResult result)
    {
        foreach (var secret in new[] { rgw.AccessKey, rgw.SecretKey })
        {
            Assert.DoesNotContain(secret, result.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, result.StandardError, StringComparison.Ordinal);
        }
    }

    /// <summary>A 127.0.0.1 port nothing listens on (bound, then released).</summary>
    public static Uri ClosedEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
