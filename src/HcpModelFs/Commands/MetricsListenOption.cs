using System.CommandLine;
using HcpModelFs.Configuration;

namespace HcpModelFs.Commands;

/// <summary>`--metrics-listen`, shared by the long-running commands (`mount`, `serve`).</summary>
internal sealed class MetricsListenOption
{
    public Option<string?> Option { get; } = new("--metrics-listen")
    {
        Description = "address:port for /metrics, /healthz and /readyz (HCPMODELFS_METRICS_LISTEN, default 127.0.0.1:9464; off = none)",
    };

    /// <summary>The settings with the flag applied over them (the flag wins over the environment).</summary>
    public DaemonSettings Apply(DaemonSettings settings, ParseResult parse) =>
        parse.GetValue(Option) is { } value
            ? settings with { MetricsListen = MetricsListenSetting.Parse(value, "--metrics-listen") }
            : settings;
}
