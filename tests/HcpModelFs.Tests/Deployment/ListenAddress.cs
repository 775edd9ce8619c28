using System.Globalization;

namespace HcpModelFs.Tests.Deployment;

/// <summary>An address:port setting (HCPMODELFS_METRICS_LISTEN) as host and port.</summary>
internal sealed record ListenAddress(string Host, int Port)
{
    /// <summary>Reachable from outside the container: the kubelet probes the pod IP, not loopback.</summary>
    public bool IsLoopback => Host.StartsWith("127.", StringComparison.Ordinal) || Host is "localhost" or "[::1]" or "::1";

    public static ListenAddress Parse(string value)
    {
        var colon = value.LastIndexOf(':');
        Assert.True(colon > 0, $"'{value}' is not address:port");
        return new ListenAddress(value[..colon], int.Parse(value[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
