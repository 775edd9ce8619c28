using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;
using HcpModelFs.Store.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Store.S3;

/// <summary>
/// <see cref="IObjectStore"/> over the AWS SDK. One attempt per call (plus continuations of a body that ends early):
/// retries, timeouts and the breaker are <see cref="Resilience.ResilientObjectStore"/>'s job. Reads copy the response
/// stream straight into the caller's memory; a continuation is pinned to the first answer's ETag (If-Match) so the
/// bytes of two versions are never mixed.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IObjectStreamReader, IDisposable
{
    /// <summary>How many times one read continues a body that ended early before giving up with Truncated.</summary>
    public const int MaxContinuations = 4;

    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly ILogger _logger;
    private readonly bool _ownsClient;

    // Over TLS the channel already protects the body, so uploads skip the SHA-256 of every byte that payload signing
    // costs (UNSIGNED-PAYLOAD, as the AWS SDKs for Java and Go do over HTTPS by default); over plain HTTP it stays.
    private readonly bool _unsignedPayload;

    public S3ObjectStore(IAmazonS3 client, string bucket, string name, ILogger<S3ObjectStore>? logger = null,
        bool ownsClient = false, StoreCapabilities? capabilities = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        _client = client;
        _bucket = bucket;
        Name = name;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _ownsClient = ownsClient;
        _unsignedPayload = client.Config.ServiceURL is not { Length: > 0 } url || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        Capabilities = capabilities ?? StoreCapabilities.Undetected;
    }

    public StoreCapabilities Capabilities { get; private set; }

    public string Name { get; }

    /// <summary>Keys per LIST page (S3 caps it at 1000); small values make paging testable.</summary>
    public int ListPageSize { get; init; } = 1000;

    public static S3ObjectStore Create(StoreSettings settings, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var client = S3ClientFactory.Create(settings, loggerFactory, time);
        var name = $"{settings.Endpoint!.GetLeftPart(UriPartial.Authority)}/{settings.Bucket}";
        return new S3ObjectStore(client, settings.Bucket!, name, loggerFactory?.CreateLogger<S3ObjectStore>(), true);
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var r = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return new ObjectInfo(key, r.ContentLength, r.ETag ?? string.Empty, ToOffset(r.LastModified));
        }
        catch (Exception e) when (S3ErrorMapper.IsStatus(e, HttpStatusCode.NotFound))
        {
            return null;
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "HEAD", key);
        }
    }

    public async ValueTask ReadRangeAsync(
        string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.IsEmpty)
        {
            return;
        }

        var received = 0;
        var continuations = 0;
        var etag = expectedETag;
        while (true)
        {
            var start = offset + received;
            var wanted = destination.Length - received;
            GetObjectResponse response;
            try
            {
                response = await _client.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    ByteRange = new ByteRange(start, start + wanted - 1),
                    EtagToMatch = etag,
                }, cancellationToken);
            }
            catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
            {
                var error = S3ErrorMapper.Map(e, "GET", key, preconditionMeansChanged: true);
                if (received > 0 && error.IsTransient && continuations < MaxContinuations)
                {
                    continuations++;
                    LogMessages.ReadContinued(_logger, key, received, destination.Length, continuations);
                    continue;
                }

                throw error;
            }

            using (response)
            {
                // A 200 to a ranged GET that is shorter than the range and XML is an S3 error document sent with the
                // wrong status (a proxy or gateway in trouble): a server failure, retried like a 503, never data.
                if (response.HttpStatusCode == HttpStatusCode.OK && response.ContentLength < wanted
                    && response.Headers.ContentType?.Contains("xml", StringComparison.OrdinalIgnoreCase) == true)
                {
                    throw new StoreException(StoreErrorKind.Unavailable, $"GET {key}: answered 200 with an error document instead of the range");
                }

                etag ??= response.ETag;
                if (response.HttpStatusCode != HttpStatusCode.PartialContent && start != 0)
                {
                    throw new StoreException(StoreErrorKind.NotSupported, $"GET {key}: server ignored the Range header");
                }

                if (response.ContentLength < wanted)
                {
                    throw new StoreException(StoreErrorKind.InvalidRange,
                        $"GET {key}: object ends before offset {offset + destination.Length}");
                }

                var stream = response.ResponseStream;
                try
                {
                    while (received < destination.Length)
                    {
                        var n = await stream.ReadAsync(destination[received..], cancellationToken);
                        if (n == 0)
                        {
                            break;
                        }

                        received += n;
                    }
                }
                catch (Exception e) when (e is IOException or HttpRequestException ||
                    (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // Reset or stall mid-body: continue below from what we have.
                }
            }

            if (received == destination.Length)
            {
                return;
            }

            if (++continuations > MaxContinuations)
            {
                throw new StoreException(StoreErrorKind.Truncated,
                    $"GET {key}: body ended early {MaxContinuations + 1} times ({received} of {destination.Length} bytes)");
            }

            LogMessages.ReadContinued(_logger, key, received, destination.Length, continuations);
        }
    }

    public async Task<ObjectReadStream> OpenReadAsync(string key, string? expectedETag, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                EtagToMatch = expectedETag,
            }, cancellationToken);
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "GET", key, preconditionMeansChanged: true);
        }

        return new ObjectReadStream(key, response.ResponseStream, response.ContentLength, response.ETag ?? string.Empty, response);
    }

    public async IAsyncEnumerable<ListEntry> ListAsync(
        string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        var page = new List<ListEntry>();
        do
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(new ListObjectsV2Request
                {
                    BucketName = _bucket,
                    Prefix = prefix,
                    Delimiter = string.IsNullOrEmpty(delimiter) ? null : delimiter,
                    ContinuationToken = token,
                    MaxKeys = ListPageSize,
                }, cancellationToken);
            }
            catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
            {
                throw S3ErrorMapper.Map(e, "LIST", prefix);
            }

            page.Clear();
            if (response.S3Objects is { } objects)
            {
                foreach (var o in objects)
                {
                    page.Add(new ListEntry(o.Key, false, o.Size ?? 0, o.ETag ?? string.Empty, ToOffset(o.LastModified)));
                }
            }

            if (response.CommonPrefixes is { } prefixes)
            {
                foreach (var p in prefixes)
                {
                    page.Add(ListEntry.Prefix(p));
                }
            }

            page.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            foreach (var entry in page)
            {
                yield return entry;
            }

            token = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (token is not null);
    }

    public async Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var etag = await PutCoreAsync(key, content, ifNoneMatch: false, "PUT", cancellationToken);
        return TrustsWriteAnswers && !string.IsNullOrEmpty(etag?.Trim('"'))
            ? new ObjectInfo(key, content.Length, etag!, DateTimeOffset.UtcNow)
            : await HeadAfterWriteAsync(key, cancellationToken);
    }

    public async Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var mode = Capabilities.ExclusiveCreate;
        if (mode is ExclusiveCreateMode.Unknown or ExclusiveCreateMode.None)
        {
            throw new StoreException(StoreErrorKind.NotSupported, mode == ExclusiveCreateMode.Unknown
                ? $"CREATE {key}: capabilities not detected yet"
                : $"CREATE {key}: the store honours neither If-None-Match nor 409-on-existing");
        }

        try
        {
            await PutCoreAsync(key, content, mode == ExclusiveCreateMode.IfNoneMatch, "CREATE", cancellationToken);
            return true;
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.AlreadyExists or StoreErrorKind.PreconditionFailed)
        {
            return false;
        }
    }

    public async Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var r = await _client.InitiateMultipartUploadAsync(
                new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return r.UploadId;
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "CREATE-MULTIPART", key);
        }
    }

    public async Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partNumber, 10_000);
        using var stream = AsStream(content);
        try
        {
            var r = await _client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = partNumber,
                // No PartSize: with one the SDK wraps the stream in a PartialWrapperStream and the body is copied
                // through an 80 KB buffer on its way to the socket; a MemoryStream alone is written from its buffer.
                InputStream = stream,
                UseChunkEncoding = false,
                DisablePayloadSigning = _unsignedPayload,
            }, cancellationToken);
            return new PartETag(partNumber, r.ETag, content.Length);
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "UPLOAD-PART", key);
        }
    }

    public async Task<ObjectInfo> CompleteMultipartAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var etag = await CompleteCoreAsync(key, uploadId, parts, cancellationToken);
        long size = 0;
        foreach (var p in parts)
        {
            size = p.Size < 0 || size < 0 ? -1 : size + p.Size;
        }

        // Where the store answers with the real ETag (detected at start-up) the answer is the result; RGW 16 answers
        // with an empty one, and parts of unknown size leave the size unknown: HEAD gives the real values then.
        return TrustsWriteAnswers && size >= 0 && !string.IsNullOrEmpty(etag?.Trim('"'))
            ? new ObjectInfo(key, size, etag!, DateTimeOffset.UtcNow)
            : await HeadAfterWriteAsync(key, cancellationToken);
    }

    public async Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(uploadId);
        try
        {
            await _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId }, cancellationToken);
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "ABORT-MULTIPART", key);
        }
    }

    public async IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(
        string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? keyMarker = null;
        string? uploadMarker = null;
        while (true)
        {
            ListMultipartUploadsResponse response;
            try
            {
                response = await _client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
                {
                    BucketName = _bucket,
                    Prefix = prefix,
                    KeyMarker = keyMarker,
                    UploadIdMarker = uploadMarker,
                }, cancellationToken);
            }
            catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
            {
                throw S3ErrorMapper.Map(e, "LIST-MULTIPART", prefix);
            }

            if (response.MultipartUploads is { } uploads)
            {
                foreach (var u in uploads)
                {
                    yield return new PendingUpload(u.Key, u.UploadId, ToOffset(u.Initiated));
                }
            }

            if (response.IsTruncated != true)
            {
                yield break;
            }

            keyMarker = response.NextKeyMarker;
            uploadMarker = response.NextUploadIdMarker;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
        }
        catch (Exception e) when (S3ErrorMapper.IsStatus(e, HttpStatusCode.NotFound))
        {
            // Already gone.
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "DELETE", key);
        }
    }

    /// <summary>
    /// Probes, with scratch keys under <paramref name="scratchPrefix"/>: a second PUT with <c>If-None-Match: *</c>
    /// (412 = honoured; 409 = HCP-style no-overwrite; 200 = neither), a plain overwrite, a one-part multipart upload
    /// (is the ETag in the complete answer empty?), and deletes (retention may forbid them).
    /// </summary>
    public async Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scratchPrefix);
        var id = Guid.NewGuid().ToString("N");
        var probe = $"{scratchPrefix}capability-probe-{id}";
        var probeMultipart = probe + "-multipart";

        // The two probes use different keys: side by side, they cost the round trips of the longer one (it comes
        // before an ingest's first write).
        var puts = ProbePutsAsync(probe, cancellationToken);
        var uploads = ProbeMultipartAsync(probeMultipart, cancellationToken);
        await Task.WhenAll(puts, uploads);
        var (mode, overwrite) = await puts;
        var (multipart, emptyETag) = await uploads;

        var deletes = await Task.WhenAll((multipart ? new[] { probe, probeMultipart } : [probe]).Select(key => ProbeDeleteAsync(key, cancellationToken)));
        var deleteAllowed = deletes.All(allowed => allowed);
        Capabilities = new StoreCapabilities(mode, overwrite, emptyETag, deleteAllowed, multipart);
        LogMessages.CapabilitiesDetected(_logger, Name, mode, overwrite, multipart, emptyETag, deleteAllowed);
        if (!Capabilities.SupportsLeases)
        {
            LogMessages.LeasesOff(_logger, Name);
        }

        return Capabilities;
    }

    /// <summary>A second PUT with <c>If-None-Match: *</c> (412 honoured, 409 HCP-style, 200 neither), then a plain overwrite.</summary>
    private async Task<(ExclusiveCreateMode Mode, bool Overwrite)> ProbePutsAsync(string probe, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> one = "1"u8.ToArray();
        await PutCoreAsync(probe, one, false, "PROBE", cancellationToken);
        try
        {
            await PutCoreAsync(probe, one, true, "PROBE", cancellationToken);
            return (ExclusiveCreateMode.None, true);
        }
        catch (StoreException e) when (e.Kind == StoreErrorKind.AlreadyExists)
        {
            return (ExclusiveCreateMode.ConflictOnExisting, false);
        }
        catch (StoreException e) when (e.Kind == StoreErrorKind.PreconditionFailed)
        {
            // Honoured; whether a plain PUT may still overwrite is a separate setting (HCP namespaces).
        }

        try
        {
            await PutCoreAsync(probe, one, false, "PROBE", cancellationToken);
            return (ExclusiveCreateMode.IfNoneMatch, true);
        }
        catch (StoreException e) when (e.Kind == StoreErrorKind.AlreadyExists)
        {
            return (ExclusiveCreateMode.IfNoneMatch, false);
        }
    }

    /// <summary>A one-part multipart upload: refused (HCP can disable multipart per namespace), or is its ETag empty?</summary>
    private async Task<(bool Supported, bool EmptyETag)> ProbeMultipartAsync(string probe, CancellationToken cancellationToken)
    {
        string? uploadId = null;
        try
        {
            uploadId = await CreateMultipartAsync(probe, cancellationToken);
            var part = await UploadPartAsync(probe, uploadId, 1, "1"u8.ToArray(), cancellationToken);
            var etag = await CompleteCoreAsync(probe, uploadId, [part], cancellationToken);
            return (true, string.IsNullOrEmpty(etag?.Trim('"')));
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.NotSupported or StoreErrorKind.AccessDenied
            or StoreErrorKind.InvalidRequest)
        {
            if (uploadId is not null)
            {
                await AbortMultipartAsync(probe, uploadId, CancellationToken.None);
            }

            return (false, false);
        }
    }

    /// <summary>Deletes a probe key; false where retention (or a policy) forbids deletes.</summary>
    private async Task<bool> ProbeDeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await DeleteAsync(key, cancellationToken);
            return true;
        }
        catch (StoreException e) when (e.Kind is StoreErrorKind.AccessDenied or StoreErrorKind.InvalidRequest
            or StoreErrorKind.NotSupported or StoreErrorKind.AlreadyExists)
        {
            LogMessages.ProbeCleanupFailed(_logger, key, e.Kind);
            return false;
        }
    }

    private async Task<string?> CompleteCoreAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken)
    {
        var request = new CompleteMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId };
        request.PartETags = new List<Amazon.S3.Model.PartETag>(parts.Count);
        foreach (var p in parts)
        {
            request.PartETags.Add(new Amazon.S3.Model.PartETag(p.PartNumber, p.ETag));
        }

        try
        {
            var r = await _client.CompleteMultipartUploadAsync(request, cancellationToken);
            return r.ETag;
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, "COMPLETE-MULTIPART", key);
        }
    }

    private async Task<string?> PutCoreAsync(
        string key, ReadOnlyMemory<byte> content, bool ifNoneMatch, string operation, CancellationToken cancellationToken)
    {
        using var stream = AsStream(content);
        try
        {
            var r = await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                InputStream = stream,
                AutoCloseStream = false,
                UseChunkEncoding = false,
                DisablePayloadSigning = _unsignedPayload,
                IfNoneMatch = ifNoneMatch ? "*" : null,
            }, cancellationToken);
            return r.ETag;
        }
        catch (Exception e) when (S3ErrorMapper.IsMappable(e, cancellationToken))
        {
            throw S3ErrorMapper.Map(e, operation, key);
        }
    }

    /// <summary>
    /// A write's answer stands for the object (no HEAD after it) once detection has run and found no ETag quirk. The
    /// result's LastModified is then this node's clock at the answer; nothing that compares store times (leases) uses
    /// a write's result.
    /// </summary>
    private bool TrustsWriteAnswers =>
        Capabilities.ExclusiveCreate != ExclusiveCreateMode.Unknown && !Capabilities.CompleteMultipartOmitsETag;

    private async Task<ObjectInfo> HeadAfterWriteAsync(string key, CancellationToken cancellationToken) =>
        await HeadAsync(key, cancellationToken)
            ?? throw new StoreException(StoreErrorKind.NotFound, $"HEAD {key}: missing right after it was written");

    private static MemoryStream AsStream(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    private static DateTimeOffset ToOffset(DateTime? value) => value is { } v
        ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : v.ToUniversalTime())
        : default;
}
