using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using HcpModelFs.Store.S3;
using HcpModelFs.Testing.Store;

namespace HcpModelFs.Store.Tests;

public sealed class TlsCertificateValidatorTests
{
    private static X509Certificate2 CreateCa(string name) => TestCertificates.CreateCa(name);

    private static X509Certificate2 CreateLeaf(X509Certificate2 ca, string host) => TestCertificates.CreateServer(ca, host);

    [Fact]
    public void Validate_leaf_signed_by_bundle_ca_is_accepted()
    {
        using var ca = CreateCa("Test HCP CA");
        using var leaf = CreateLeaf(ca, "tenant.hcp.test");
        var validator = new TlsCertificateValidator(true, [ca]);
        Assert.True(validator.Validate(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Validate_leaf_of_another_ca_is_rejected()
    {
        using var ca = CreateCa("Test HCP CA");
        using var other = CreateCa("Someone else");
        using var leaf = CreateLeaf(other, "tenant.hcp.test");
        var validator = new TlsCertificateValidator(true, [ca]);
        Assert.False(validator.Validate(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Contains("not trusted", validator.LastRejection, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_host_name_mismatch_is_rejected_even_with_trusted_ca()
    {
        using var ca = CreateCa("Test HCP CA");
        using var leaf = CreateLeaf(ca, "tenant.hcp.test");
        var validator = new TlsCertificateValidator(true, [ca]);
        Assert.False(validator.Validate(leaf, null,
            SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Validate_without_bundle_follows_the_platform_verdict()
    {
        using var ca = CreateCa("Test HCP CA");
        using var leaf = CreateLeaf(ca, "tenant.hcp.test");
        var validator = new TlsCertificateValidator(true, null);
        Assert.False(validator.Validate(leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(validator.Validate(leaf, null, SslPolicyErrors.None));
    }

    [Fact]
    public void Validate_with_verification_off_accepts_anything()
    {
        using var ca = CreateCa("Other");
        var validator = new TlsCertificateValidator(false, null);
        Assert.True(validator.Validate(ca, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
    }

    [Fact]
    public void LoadBundle_reads_every_pem_certificate()
    {
        using var a = CreateCa("A");
        using var b = CreateCa("B");
        var path = Path.Combine(Path.GetTempPath(), $"bundle-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, a.ExportCertificatePem() + "\n" + b.ExportCertificatePem());
        try
        {
            Assert.Equal(2, TlsCertificateValidator.LoadBundle(path).Count);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
