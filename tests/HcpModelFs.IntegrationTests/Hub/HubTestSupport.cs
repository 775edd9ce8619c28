using HcpModelFs.Hub;
using HcpModelFs.Testing.Hub;

namespace HcpModelFs.IntegrationTests.Hub;

/// <summary>Options and paths shared by the Hub integration tests.</summary>
internal static class HubTestSupport
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Client options against a fake Hub: small real delays so retries cost milliseconds.</summary>
    public static HubOptions Options(FakeHubServer server, string? token) => new()
    {
        Endpoint = server.HubUri,
        Token = token,
        TokenPath = null,
        MaxRetries = 4,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryAfter = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
        ReadIdleTimeout = TimeSpan.FromSeconds(2),
        RangedReadThreshold = 8 * 1024,
    };

    /// <summary>The folder holding HcpModelFs.sln.</summary>
    public static string RepoRoot() => HcpModelFs.Testing.RepoPaths.Root;
}
