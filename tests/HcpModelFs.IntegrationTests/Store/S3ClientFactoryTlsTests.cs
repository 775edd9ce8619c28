using System.Net;
using System.Security.Cryptography.X509Certificates;
using HcpModelFs.Store;
using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.S3;
using HcpModelFs.Testing.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HcpModelFs.IntegrationTests.Store;

/// <summary>
/// The store's TLS check against a tiny HTTPS server on 127.0.0.1 whose certificate is signed by a test CA: trusted
/// through HCP_ROOT_CA_PATH, refused with another CA or a wrong host name, accepted with verification off.
/// </summary>
public sealed class S3ClientFactoryTlsTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("hcpmodelfs-tls-").FullName;
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("HcpModelFs Test CA");
    private readonly X509Certificate2 _otherCa = TestCertificates.CreateCa("Another CA");
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> PayloadHashes = new();
    private WebApplication? _app;
    private WebApplication? _wrongNameApp;
    private Uri? _endpoint;
    private Uri? _wrongNameEndpoint;

    public async Task InitializeAsync()
    {
        (_app, _endpoint) = await StartAsync(TestCertificates.CreateServer(_ca, "store.test", withLoopbackIp: true));
        (_wrongNameApp, _wrongNameEndpoint) = await StartAsync(TestCertificates.CreateServer(_ca, "store.test"));
    }

    public async Task DisposeAsync()
    {
        foreach (var app in new[] { _app, _wrongNameApp })
        {
            if (app is not null)
            {
                await app.StopAsync().WaitAsync(Timeout);
                await app.DisposeAsync();
            }
        }
    }

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Uploads_over_tls_skip_payload_signing()
    {
        using var store = Store(_endpoint!, Bundle(_ca), verify: true);
        PayloadHashes.Clear();

        var part = await store.UploadPartAsync("k", "upload-1", 1, new byte[64 << 10], CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(64 << 10, part.Size);
        // TLS protects the body: no SHA-256 of every uploaded byte (plain HTTP keeps the signed payload hash).
        Assert.Equal(["UNSIGNED-PAYLOAD"], PayloadHashes.ToArray());
    }

    [Fact]
    public async Task Head_over_tls_with_bundle_of_the_signing_ca_succeeds()
    {
        using var store = Store(_endpoint!, Bundle(_ca), verify: true);
        Assert.Null(await store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Head_over_tls_with_bundle_of_another_ca_fails_typed()
    {
        using var store = Store(_endpoint!, Bundle(_otherCa), verify: true);
        var e = await Assert.ThrowsAsync<StoreException>(() => store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.AccessDenied, e.Kind);
        Assert.Contains("TLS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Head_over_tls_with_certificate_for_another_host_fails()
    {
        using var store = Store(_wrongNameEndpoint!, Bundle(_ca), verify: true);
        var e = await Assert.ThrowsAsync<StoreException>(() => store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(StoreErrorKind.AccessDenied, e.Kind);
    }

    [Fact]
    public async Task Head_over_tls_with_system_trust_only_fails_for_private_ca()
    {
        using var store = Store(_endpoint!, null, verify: true);
        await Assert.ThrowsAsync<StoreException>(() => store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Head_over_tls_with_verification_off_succeeds_and_warns()
    {
        var logs = new HcpModelFs.Testing.Store.CapturingLoggerFactory();
        using var store = Store(_wrongNameEndpoint!, null, verify: false, logs);
        Assert.Null(await store.HeadAsync("k", CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains(logs.Lines, l => l.Contains("verification is OFF", StringComparison.Ordinal));
    }

    private static S3ObjectStore Store(Uri endpoint, string? bundle, bool verify, ILoggerFactory? logs = null) =>
        S3ObjectStore.Create(new StoreSettings
        {
            Endpoint = endpoint,
            Bucket = "b",
            AccessKey = CredentialSource.FromValue("AK"),
            SecretKey = CredentialSource.FromValue("SK"),
            RootCaPath = bundle,
            VerifySsl = verify,
        }, logs);

    private string Bundle(X509Certificate2 ca)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }

    private static async Task<(WebApplication App, Uri Endpoint)> StartAsync(X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = HttpProtocols.Http1;
            o.UseHttps(certificate);
        }));
        var app = builder.Build();
        app.Run(ctx =>
        {
            if (HttpMethods.IsPut(ctx.Request.Method))
            {
                // A part upload: remember how its payload was signed, answer like S3.
                PayloadHashes.Enqueue(ctx.Request.Headers["x-amz-content-sha256"].ToString());
                ctx.Response.Headers.ETag = "\"0123456789abcdef0123456789abcdef\"";
                ctx.Response.StatusCode = StatusCodes.Status200OK;
                return Task.CompletedTask;
            }

            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync().WaitAsync(Timeout);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }
}
