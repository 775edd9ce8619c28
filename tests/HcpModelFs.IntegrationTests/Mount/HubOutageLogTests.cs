using System.Net;
using System.Net.Sockets;
using HcpModelFs.IntegrationTests.Fuse;
using HcpModelFs.Testing.Fuse;
using HcpModelFs.Testing.Processes;

namespace HcpModelFs.IntegrationTests.Mount;

/// <summary>
/// The Hub unreachable while engineers `ls` a model the store lacks: every lookup fails with EIO in bounded time, and
/// the daemon's log says so once for the outage — no stack trace, no line per retry, no line per lookup.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class HubOutageLogTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("hcpfs-hubdown-").FullName;

    private string MountPoint => Path.Combine(_root, "models");

    public void Dispose()
    {
        MountCleanup.EnsureUnmountedAsync(MountPoint).GetAwaiter().GetResult();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Lookups_during_a_hub_outage_fail_with_eio_and_log_one_line_without_a_stack_trace()
    {
        await using var daemon = await NotifyingDaemon.StartAsync(
            ["mount", MountPoint],
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["HCPMODELFS_STORE_DIR"] = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName,
                ["MODEL_CACHE_DIR"] = Directory.CreateDirectory(Path.Combine(_root, "cache")).FullName,
                ["HF_ENDPOINT"] = $"http://127.0.0.1:{ClosedPort()}",
                ["HCPMODELFS_LOG_FORMAT"] = "text",
                ["HCPMODELFS_LOG_LEVEL"] = "Information",
            });

        var missing = Path.Combine(MountPoint, "someorg", "somemodel");
        for (var i = 0; i < 3; i++)
        {
            var ls = await ProcessRunner.RunAsync("ls", [missing], Bounded);
            Assert.NotEqual(0, ls.ExitCode);
            Assert.Contains("Input/output error", ls.StandardError, StringComparison.Ordinal);
        }

        Assert.Equal(0, await daemon.StopAsync(Bounded));
        var log = daemon.Process.StandardError.Split('\n');
        Assert.Single(log, l => l.Contains("lookup failed for somemodel", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.StartsWith("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("retry", StringComparison.OrdinalIgnoreCase));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
