using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HcpModelFs.Testing.Hub;
using HcpModelFs.Testing.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.IntegrationTests.Commands;

/// <summary>
/// `hcpmodelfs check` run as a process: passes against Ceph RGW and the fake Hub; fails within seconds, one line per
/// failed item and exit 1, against a closed port, wrong credentials, a refused token and an untrusted certificate.
/// </summary>
[Collection(RgwFixture.CollectionName)]
public sealed class CheckCommandTests(RgwFixture rgw) : IAsyncLifetime
{
    private static readonly string[] StoreItems = ["store reachable", "tls trust", "clock skew", "credentials", "listing", "exclusive create", "multipart", "round trip", "ranged get"];
    private readonly string _prefix = $"chk-{Guid.NewGuid():N}/";
    private FakeHubServer? _hub;

    public async Task InitializeAsync()
    {
        var catalog = new FakeHubCatalog();
        catalog.Tokens.Add(ContractCatalog.Token);
        _hub = await FakeHubServer.StartAsync(catalog);
    }

    public async Task DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        using var store = rgw.CreateStore();
        using var cts = new CancellationTokenSource(RealCli.Bounded);
        await foreach (var entry in store.ListAsync(_prefix, null, cts.Token))
        {
            await store.DeleteAsync(entry.Key, cts.Token);
        }
    }

    [Fact]
    public async Task Check_passes_against_rgw_and_the_fake_hub_and_leaves_no_scratch_object()
    {
        var env = Env();
        env["HF_TOKEN"] = ContractCatalog.Token;
        var result = await RealCli.RunAsync(env, "check");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var item in StoreItems.Append("hub reachable"))
        {
            Assert.Matches($@"(?m)^ok\s+{item}\s", result.StandardOutput);
        }

        Assert.Matches(@"(?m)^ok\s+hub token\s+valid for fake-user", result.StandardOutput);
        RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey, ContractCatalog.Token);

        using var store = rgw.CreateStore();
        var left = new List<string>();
        await foreach (var entry in store.ListAsync(_prefix, null, CancellationToken.None))
        {
            left.Add(entry.Key);
        }

        Assert.DoesNotContain(left, k => k.Contains("round-trip", StringComparison.Ordinal));

        // No token: anonymous, not a failure; --json is one document.
        env["HF_TOKEN"] = string.Empty;
        env["HF_HOME"] = Directory.CreateTempSubdirectory("hcpfs-hf-home-").FullName;
        var anonymous = await RealCli.RunAsync(env, "check", "--json");
        Directory.Delete(env["HF_HOME"], recursive: true);
        Assert.True(anonymous.ExitCode == 0, anonymous.ToString());
        using var json = JsonDocument.Parse(anonymous.StandardOutput);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        var token = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "hub token");
        Assert.Equal("ok", token.GetProperty("status").GetString());
        Assert.StartsWith("anonymous", token.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_fails_within_seconds_against_a_closed_port()
    {
        var env = Env();
        env["HCP_ENDPOINT"] = $"http://127.0.0.1:{ClosedPort()}";
        env["HF_ENDPOINT"] = $"http://127.0.0.1:{ClosedPort()}";
        var clock = Stopwatch.StartNew();
        var result = await RealCli.RunAsync(env, "check");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(result.ExitCode == 1, result.ToString());
        var failed = FailedLines(result.StandardOutput);
        Assert.Equal(["store reachable", "hub reachable"], failed);
        Assert.Contains("Connection refused", result.StandardOutput, StringComparison.Ordinal);
        RealCli.AssertCleanOutput(result, rgw.SecretKey, rgw.AccessKey);
    }

    [Fact]
    public async Task Check_reports_wrong_credentials_and_a_refused_token_without_printing_them()
    {
        const string WrongSecret = "not-the-secret-key-0123456789";
        var env = RealCli.RgwEnvironment(rgw, _prefix, _hub!.HubUri, secretKey: WrongSecret);
        env["HF_TOKEN"] = ContractCatalog.UnknownToken;
        var result = await RealCli.RunAsync(env, "check");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["credentials", "hub token"], FailedLines(result.StandardOutput));
        Assert.Matches(@"(?m)^ok\s+store reachable", result.StandardOutput);
        RealCli.AssertCleanOutput(result, WrongSecret, rgw.SecretKey, rgw.AccessKey, ContractCatalog.UnknownToken);
    }

    [Fact]
    public async Task Check_names_an_untrusted_certificate_and_trusts_the_configured_ca_bundle()
    {
        using var ca = TestCertificates.CreateCa("HcpModelFs Check CA");
        using var server = TestCertificates.CreateServer(ca, "store.test", withLoopbackIp: true);
        var (app, endpoint) = await StartAsync(server, ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });
        try
        {
            await CheckTlsAsync(ca, endpoint);
        }
        finally
        {
            await app.StopAsync().WaitAsync(RealCli.Bounded);
            await app.DisposeAsync();
        }
    }

    private async Task CheckTlsAsync(X509Certificate2 ca, string endpoint)
    {
        var env = Env();
        env["HCP_ENDPOINT"] = endpoint;

        var untrusted = await RealCli.RunAsync(env, "check");
        Assert.True(untrusted.ExitCode == 1, untrusted.ToString());
        Assert.Matches(@"(?m)^FAIL\s+tls trust\s+the certificate of 127\.0\.0\.1 is not trusted", untrusted.StandardOutput);
        RealCli.AssertCleanOutput(untrusted, rgw.SecretKey, rgw.AccessKey);

        var bundle = Path.Combine(Directory.CreateTempSubdirectory("hcpfs-ca-").FullName, "ca.pem");
        await File.WriteAllTextAsync(bundle, ca.ExportCertificatePem());
        env["HCP_ROOT_CA_PATH"] = bundle;
        var trusted = await RealCli.RunAsync(env, "check");
        Assert.Matches($@"(?m)^ok\s+tls trust\s+CA bundle {bundle}", trusted.StandardOutput);
        Assert.DoesNotContain("tls trust", string.Join(',', FailedLines(trusted.StandardOutput)), StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(bundle)!, recursive: true);
    }

    [Fact]
    public async Task Check_fails_the_clock_skew_against_a_store_whose_date_is_an_hour_off()
    {
        var (app, endpoint) = await StartAsync(certificate: null, ctx =>
        {
            ctx.Response.Headers.Date = DateTimeOffset.UtcNow.AddHours(-1).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });
        try
        {
            var env = Env();
            env["HCP_ENDPOINT"] = endpoint;
            var result = await RealCli.RunAsync(env, "check");
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(result.StandardOutput, @"(?m)^FAIL\s+clock skew\s+\+36\d\d s against the store's Date header"), result.ToString());
        }
        finally
        {
            await app.StopAsync().WaitAsync(RealCli.Bounded);
            await app.DisposeAsync();
        }
    }

    private Dictionary<string, string> Env() => RealCli.RgwEnvironment(rgw, _prefix, _hub!.HubUri);

    private static List<string> FailedLines(string stdout) =>
        [.. stdout.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).Select(l => System.Text.RegularExpressions.Regex.Split(l[4..].Trim(), @"\s{2,}")[0])];

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<(WebApplication App, string Endpoint)> StartAsync(X509Certificate2? certificate, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = HttpProtocols.Http1;
            if (certificate is not null)
            {
                o.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync().WaitAsync(RealCli.Bounded);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }
}
