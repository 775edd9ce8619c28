using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>The built `hcpmodelfs` run as a user runs it, and the checks every command's output must pass.</summary>
internal static class RealCli
{
    public static readonly TimeSpan Bounded = TimeSpan.FromSeconds(120);

    /// <summary>Runs `hcpmodelfs ARGS` with <paramref name="environment"/> over the inherited one and no stray .env.</summary>
    public static Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [ModelFsDaemon.Dll, .. arguments, "--env-file", "/nonexistent/.env"], Bounded, environment);

    /// <summary>The store settings of this RGW under <paramref name="prefix"/>, Hub ingest off unless a Hub is given.</summary>
    public static Dictionary<string, string> RgwEnvironment(RgwFixture rgw, string prefix, Uri? hub = null, string? secretKey = null) => new(StringComparer.Ordinal)
    {
        ["HCP_ENDPOINT"] = rgw.Endpoint.ToString(),
        ["HCP_NAMESPACE"] = rgw.Bucket,
        ["HCP_ACCESS_KEY"] = rgw.AccessKey,
        ["HCP_SECRET_KEY"] = secretKey ?? rgw.SecretKey,
        ["HCP_PREFIX"] = prefix,
        ["HCPMODELFS_HUB_INGEST"] = hub is null ? "off" : "on",
        ["HF_ENDPOINT"] = hub?.ToString().TrimEnd('/') ?? "http://127.0.0.1:9",
        ["HCPMODELFS_LOG_FORMAT"] = "text",
        ["HCPMODELFS_CONFIG"] = string.Empty,
    };

    /// <summary>No secret of the run in anything it printed, and no stack trace.</summary>
    public static void AssertCleanOutput(ProcessResult result, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(result);
        var all = result.StandardOutput + result.StandardError;
        foreach (var secret in secrets)
        {
            Assert.False(all.Contains(secret, StringComparison.Ordinal), $"a secret was printed:\n{result}");
        }

        Assert.False(all.Contains("   at ", StringComparison.Ordinal), $"a stack trace was printed:\n{result}");
        Assert.False(all.Contains("Exception:", StringComparison.Ordinal), $"an exception was printed:\n{result}");
    }
}
