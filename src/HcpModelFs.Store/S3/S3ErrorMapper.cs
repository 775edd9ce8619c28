using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace HcpModelFs.Store.S3;

/// <summary>
/// Turns SDK and transport exceptions into <see cref="StoreException"/>. Messages are built here from the operation,
/// key, status and S3 error code only, so no server text or request detail (and so no credential) leaks into them.
/// </summary>
internal static class S3ErrorMapper
{
    public static bool IsMappable(Exception e, CancellationToken cancellationToken) => e switch
    {
        StoreException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AmazonServiceException or AmazonClientException or HttpRequestException or IOException
            or SocketException => true,
        _ => false,
    };

    public static StoreException Map(Exception e, string operation, string key, bool preconditionMeansChanged = false)
    {
        switch (e)
        {
            case AmazonServiceException s when s.StatusCode != 0:
                return FromService(s, operation, key, preconditionMeansChanged);
            case OperationCanceledException:
                return new StoreException(StoreErrorKind.Timeout, $"{operation} {key}: timed out", e) { Ambiguous = true };
        }

        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError }:
                    return new StoreException(StoreErrorKind.Unavailable, $"{operation} {key}: cannot connect", e);
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                    return new StoreException(StoreErrorKind.AccessDenied, $"{operation} {key}: TLS handshake failed", e);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable }:
                    return new StoreException(StoreErrorKind.Unavailable, $"{operation} {key}: cannot connect", e);
                case HttpRequestException or IOException or SocketException:
                    return new StoreException(StoreErrorKind.ConnectionReset, $"{operation} {key}: connection lost", e)
                    {
                        Ambiguous = true,
                    };
                case OperationCanceledException:
                    return new StoreException(StoreErrorKind.Timeout, $"{operation} {key}: timed out", e) { Ambiguous = true };
            }
        }

        return new StoreException(StoreErrorKind.Unknown, $"{operation} {key}: {e.GetType().Name}", e);
    }

    private static StoreException FromService(
        AmazonServiceException s, string operation, string key, bool preconditionMeansChanged)
    {
        var status = (int)s.StatusCode;
        var code = s.ErrorCode ?? string.Empty;
        var kind = (status, code) switch
        {
            (200, _) => StoreErrorKind.Unavailable,
            (_, "SlowDown" or "Throttling" or "ThrottlingException" or "TooManyRequests" or "RequestLimitExceeded")
                => StoreErrorKind.Throttled,
            (404, _) or (_, "NoSuchKey" or "NoSuchBucket" or "NoSuchUpload") => StoreErrorKind.NotFound,
            (409, _) => StoreErrorKind.AlreadyExists,
            (412, _) => preconditionMeansChanged ? StoreErrorKind.ObjectChanged : StoreErrorKind.PreconditionFailed,
            (416, _) => StoreErrorKind.InvalidRange,
            (401 or 403, _) => StoreErrorKind.AccessDenied,
            (429, _) => StoreErrorKind.Throttled,
            (501, _) => StoreErrorKind.NotSupported,
            (408, _) => StoreErrorKind.Timeout,
            (>= 500, _) => StoreErrorKind.Unavailable,
            (>= 400, _) => StoreErrorKind.InvalidRequest,
            _ => StoreErrorKind.Unknown,
        };
        var message = status == 200
            ? $"{operation} {key}: error {code} inside a 200 response"
            : $"{operation} {key}: HTTP {status} {code}".TrimEnd();
        return new StoreException(kind, message, s)
        {
            StatusCode = status,
            RetryAfter = RetryAfter(s),
            // An error inside a 200 (CompleteMultipartUpload) may or may not have taken effect: never retry it.
            Ambiguous = status == 200,
        };
    }

    private static TimeSpan? RetryAfter(AmazonServiceException s)
    {
        if (s.InnerException is not HttpErrorResponseException { Response: { } response })
        {
            return null;
        }

        var value = response.GetHeaderValue("Retry-After");
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at - DateTimeOffset.UtcNow is { Ticks: > 0 } d ? d : TimeSpan.Zero
            : null;
    }

    public static bool IsStatus(Exception e, HttpStatusCode status) =>
        e is AmazonServiceException s && s.StatusCode == status;
}
