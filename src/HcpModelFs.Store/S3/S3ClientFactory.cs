using Amazon.Runtime;
using Amazon.S3;
using HcpModelFs.Store.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Store.S3;

/// <summary>
/// Builds the AWS SDK client with the settings that work on HCP, MinIO, Ceph RGW and AWS (notes/s3-test-server.md):
/// path-style, SigV4, checksums only when required. The SDK's own retries are OFF (<c>MaxErrorRetry = 0</c>):
/// <see cref="Resilience.ResilientObjectStore"/> is the one place where retry policy lives, so backoff, Retry-After,
/// the circuit breaker and the "never retry an error inside a 200" rule for CompleteMultipartUpload are all in view.
/// </summary>
public static class S3ClientFactory
{
    public static IAmazonS3 Create(StoreSettings settings, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Endpoint is null || settings.AccessKey is null || settings.SecretKey is null)
        {
            throw new ArgumentException("S3 settings need an endpoint and credentials", nameof(settings));
        }

        var logger = (ILogger?)loggerFactory?.CreateLogger(typeof(S3ClientFactory).FullName!) ?? NullLogger.Instance;
        if (!settings.VerifySsl && settings.Endpoint.Scheme == Uri.UriSchemeHttps)
        {
            LogMessages.TlsVerificationOff(logger, settings.Endpoint.GetLeftPart(UriPartial.Authority));
        }

        var roots = settings.VerifySsl && settings.RootCaPath is not null
            ? TlsCertificateValidator.LoadBundle(settings.RootCaPath)
            : null;
        var validator = new TlsCertificateValidator(settings.VerifySsl, roots);
        var config = new AmazonS3Config
        {
            ServiceURL = settings.Endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = settings.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 0,
            RetryMode = RequestRetryMode.Standard,
            ThrottleRetries = false,
            Timeout = settings.AttemptTimeout + TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = settings.MaxConnections,
            HttpClientFactory = new S3HttpClientFactory(settings.MaxConnections, validator, logger),
            DisableLogging = true,
            UseHttp = settings.Endpoint.Scheme == Uri.UriSchemeHttp,
        };
        var credentials = new StoreCredentials(settings.AccessKey, settings.SecretKey, time ?? TimeProvider.System,
            settings.CredentialRefreshInterval, logger);
        return new AmazonS3Client(credentials, config);
    }
}
