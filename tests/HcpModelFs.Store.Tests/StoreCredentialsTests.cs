using HcpModelFs.Store.Configuration;
using HcpModelFs.Store.S3;
using HcpModelFs.Testing.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Store.Tests;

public sealed class StoreCredentialsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hcpmodelfs-cred-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void GetCredentials_rotated_secret_file_is_used_after_the_refresh_interval()
    {
        var secretPath = Path.Combine(_dir, "secret");
        File.WriteAllText(secretPath, "old-secret\n");
        var time = new ManualTimeProvider();
        var credentials = new StoreCredentials(CredentialSource.FromValue("AK"), CredentialSource.FromFile(secretPath),
            time, TimeSpan.FromSeconds(10), NullLogger.Instance);
        Assert.Equal("old-secret", credentials.GetCredentials().SecretKey);

        File.WriteAllText(secretPath, "new-secret-longer");
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("old-secret", credentials.GetCredentials().SecretKey);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("new-secret-longer", credentials.GetCredentials().SecretKey);
        Assert.Equal("AK", credentials.GetCredentials().AccessKey);
    }

    [Fact]
    public void GetCredentials_missing_file_fails_AccessDenied_naming_the_file()
    {
        var credentials = new StoreCredentials(CredentialSource.FromValue("AK"),
            CredentialSource.FromFile(Path.Combine(_dir, "missing")), new ManualTimeProvider(), TimeSpan.Zero,
            NullLogger.Instance);
        var e = Assert.Throws<StoreException>(() => credentials.GetCredentials());
        Assert.Equal(StoreErrorKind.AccessDenied, e.Kind);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }
}
