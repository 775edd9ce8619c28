using HcpModelFs.Http;

namespace HcpModelFs.Configuration;

/// <summary>HCPMODELFS_METRICS_LISTEN / --metrics-listen: address:port, or `off`.</summary>
internal static class MetricsListenSetting
{
    /// <summary>The address to listen on, <see cref="DaemonSettings.DefaultMetricsListen"/> when unset, null for `off`.</summary>
    public static string? Parse(string? value, string name)
    {
        if (value is null)
        {
            return DaemonSettings.DefaultMetricsListen;
        }

        if (string.Equals(value, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            _ = HubEndpoint.ParseListen(value);
            return value;
        }
        catch (FormatException)
        {
            throw new FormatException($"{name} must be address:port (e.g. 0.0.0.0:9464) or off");
        }
    }
}
