using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace HcpModelFs.Store.S3;

/// <summary>
/// Server certificate check for the store's HTTPS connections. With a CA bundle, the chain must end in one of the
/// bundle's roots (<see cref="X509ChainTrustMode.CustomRootTrust"/>, the system store is not consulted) and the host
/// name must match; without one, the platform's verdict stands. Verification off accepts anything (logged once).
/// </summary>
public sealed class TlsCertificateValidator
{
    private readonly X509Certificate2Collection? _roots;
    private readonly bool _verify;

    public TlsCertificateValidator(bool verify, X509Certificate2Collection? customRoots)
    {
        _verify = verify;
        _roots = customRoots is { Count: > 0 } ? customRoots : null;
    }

    /// <summary>Why the last certificate was refused (for one log line), or null.</summary>
    public string? LastRejection { get; private set; }

    public static X509Certificate2Collection LoadBundle(string pemPath)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(pemPath);
        if (roots.Count == 0)
        {
            throw new StoreException(StoreErrorKind.InvalidRequest, $"CA bundle {pemPath} holds no certificate");
        }

        return roots;
    }

    public bool Validate(X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (!_verify)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return Reject("no certificate");
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return Reject("host name does not match the certificate");
        }

        if (_roots is null)
        {
            return errors == SslPolicyErrors.None || Reject($"chain not trusted by the system ({errors})");
        }

        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(leaf))
        {
            return true;
        }

        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()));
        return Reject($"chain not trusted by the CA bundle ({status})");
    }

    private bool Reject(string reason)
    {
        LastRejection = reason;
        return false;
    }
}
