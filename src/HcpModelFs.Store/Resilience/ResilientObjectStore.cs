using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace HcpModelFs.Store.Resilience;

/// <summary>
/// Retry, per-attempt timeout and a circuit breaker around one store (= one endpoint), plus metrics.
/// Pipeline, outside in: retry (exponential backoff with jitter; Retry-After honoured) -> circuit breaker -> timeout.
/// What is retried: transient kinds (Throttled, Unavailable, Timeout, ConnectionReset, Truncated). Calls that are
/// not idempotent (CreateExclusive, CompleteMultipart) are retried only when the failure proves the request was not
/// processed (not <see cref="StoreException.Ambiguous"/>): an error inside a 200 from CompleteMultipartUpload is never
/// retried, and a timeout on an exclusive create surfaces instead of turning into a false "already exists".
/// An open breaker fails calls at once with <see cref="StoreErrorKind.CircuitOpen"/>.
/// </summary>
public sealed class ResilientObjectStore : IObjectStore, IObjectStreamReader
{
    private readonly IObjectStore _inner;
    private readonly ResiliencePipeline _idempotent;
    private readonly ResiliencePipeline _nonIdempotent;
    private readonly ILogger _logger;
    private readonly StoreMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly RepeatedFailureLog _failures;
    private readonly string _area;

    public ResilientObjectStore(IObjectStore inner, ResilienceOptions? options = null, ILogger<ResilientObjectStore>? logger = null,
        TimeProvider? timeProvider = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        options ??= new ResilienceOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = new StoreMetrics(meterFactory);
        _failures = new RepeatedFailureLog(_logger, _time, options.FailureLogInterval);
        _area = "Store " + inner.Name;
        _metrics.Publish(inner.Name);
        var breaker = new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is TimeoutRejectedException ||
                args.Outcome.Exception is StoreException { Kind: StoreErrorKind.Unavailable or StoreErrorKind.Timeout
                    or StoreErrorKind.ConnectionReset }),
            OnOpened = args =>
            {
                _metrics.CircuitOpened(Name);
                _metrics.CircuitState(Name, 2);
                LogMessages.CircuitOpened(_logger, Name, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                _metrics.CircuitState(Name, 1);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                _metrics.CircuitState(Name, 0);
                LogMessages.CircuitClosed(_logger, Name);
                return ValueTask.CompletedTask;
            },
        };
        _idempotent = Build(options, breaker, ambiguousIsRetryable: true);
        _nonIdempotent = Build(options, breaker, ambiguousIsRetryable: false);
    }

    public StoreCapabilities Capabilities => _inner.Capabilities;

    public string Name => _inner.Name;

    public Task<StoreCapabilities> DetectCapabilitiesAsync(string scratchPrefix, CancellationToken cancellationToken) =>
        _inner.DetectCapabilitiesAsync(scratchPrefix, cancellationToken);

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(_idempotent, "head", key, (_inner, key), static (s, ct) => new ValueTask<ObjectInfo?>(
            s._inner.HeadAsync(s.key, ct)), cancellationToken).AsTask();

    public async ValueTask ReadRangeAsync(
        string key, long offset, Memory<byte> destination, string? expectedETag, CancellationToken cancellationToken)
    {
        _metrics.ReadStarted(Name);
        try
        {
            await RunAsync(_idempotent, "read", key, (_inner, key, offset, destination, expectedETag),
                static async (s, ct) =>
                {
                    await s._inner.ReadRangeAsync(s.key, s.offset, s.destination, s.expectedETag, ct);
                    return true;
                }, cancellationToken);
        }
        finally
        {
            _metrics.ReadEnded(Name);
        }

        _metrics.Read(Name, destination.Length);
    }

    /// <summary>Opens through the retry pipeline (the open only: a body that fails later is the caller's to restart).</summary>
    public Task<ObjectReadStream> OpenReadAsync(string key, string? expectedETag, CancellationToken cancellationToken) =>
        _inner is IObjectStreamReader reader
            ? RunAsync(_idempotent, "open", key, (reader, key, expectedETag), static async (s, ct) =>
                await s.reader.OpenReadAsync(s.key, s.expectedETag, ct), cancellationToken).AsTask()
            : throw new StoreException(StoreErrorKind.NotSupported, $"GET {key}: store {Name} has no streamed reads");

    public async IAsyncEnumerable<ListEntry> ListAsync(
        string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One attempt collects the whole listing (model prefixes hold thousands of keys, not millions); a retry keeps
        // what it has and skips what it already got, so no entry is repeated or lost.
        var entries = new List<ListEntry>();
        await RunAsync(_idempotent, "list", prefix, (_inner, prefix, delimiter, entries), static async (s, ct) =>
        {
            var resumeAfter = s.entries.Count > 0 ? s.entries[^1].Key : null;
            await foreach (var e in s._inner.ListAsync(s.prefix, s.delimiter, ct))
            {
                if (resumeAfter is null || string.CompareOrdinal(e.Key, resumeAfter) > 0)
                {
                    s.entries.Add(e);
                }
            }

            return true;
        }, cancellationToken);
        foreach (var e in entries)
        {
            yield return e;
        }
    }

    public async Task<ObjectInfo> PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        // A retried PUT rewrites the same bytes; on a no-overwrite store (HCP) a lost answer makes the retry a 409.
        var info = await RunAsync(_idempotent, "put", key, (_inner, key, content),
            static (s, ct) => new ValueTask<ObjectInfo>(s._inner.PutAsync(s.key, s.content, ct)), cancellationToken);
        _metrics.Written(Name, content.Length);
        return info;
    }

    public async Task<bool> CreateExclusiveAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var created = await RunAsync(_nonIdempotent, "create_exclusive", key, (_inner, key, content),
            static (s, ct) => new ValueTask<bool>(s._inner.CreateExclusiveAsync(s.key, s.content, ct)), cancellationToken);
        if (created)
        {
            _metrics.Written(Name, content.Length);
        }

        return created;
    }

    public Task<string> CreateMultipartAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(_idempotent, "create_multipart", key, (_inner, key),
            static (s, ct) => new ValueTask<string>(s._inner.CreateMultipartAsync(s.key, ct)), cancellationToken).AsTask();

    public async Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var part = await RunAsync(_idempotent, "upload_part", key, (_inner, key, uploadId, partNumber, content),
            static (s, ct) => new ValueTask<PartETag>(s._inner.UploadPartAsync(s.key, s.uploadId, s.partNumber, s.content, ct)),
            cancellationToken);
        _metrics.Written(Name, content.Length);
        return part;
    }

    public Task<ObjectInfo> CompleteMultipartAsync(
        string key, string uploadId, IReadOnlyList<PartETag> parts, CancellationToken cancellationToken) =>
        RunAsync(_nonIdempotent, "complete_multipart", key, (_inner, key, uploadId, parts),
            static (s, ct) => new ValueTask<ObjectInfo>(s._inner.CompleteMultipartAsync(s.key, s.uploadId, s.parts, ct)),
            cancellationToken).AsTask();

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        RunAsync(_idempotent, "abort_multipart", key, (_inner, key, uploadId), static async (s, ct) =>
        {
            await s._inner.AbortMultipartAsync(s.key, s.uploadId, ct);
            return true;
        }, cancellationToken).AsTask();

    public async IAsyncEnumerable<PendingUpload> ListMultipartUploadsAsync(
        string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Housekeeping listing (abandoned uploads): small, so each attempt collects it whole.
        var uploads = await RunAsync(_idempotent, "list_multipart", prefix, (_inner, prefix), static async (s, ct) =>
        {
            var list = new List<PendingUpload>();
            await foreach (var u in s._inner.ListMultipartUploadsAsync(s.prefix, ct))
            {
                list.Add(u);
            }

            return list;
        }, cancellationToken);
        foreach (var u in uploads)
        {
            yield return u;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(_idempotent, "delete", key, (_inner, key), static async (s, ct) =>
        {
            await s._inner.DeleteAsync(s.key, ct);
            return true;
        }, cancellationToken).AsTask();

    private ResiliencePipeline Build(ResilienceOptions options, CircuitBreakerStrategyOptions breaker, bool ambiguousIsRetryable)
    {
        var retry = new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(options.MaxRetries, 1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.BaseDelay,
            MaxDelay = options.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.AttemptNumber < options.MaxRetries &&
                args.Outcome.Exception switch
                {
                    TimeoutRejectedException => ambiguousIsRetryable,
                    StoreException { Kind: StoreErrorKind.Throttled, RetryAfter: { } after } =>
                        after <= options.MaxRetryAfter,
                    StoreException e => e.IsTransient && (ambiguousIsRetryable || !e.Ambiguous),
                    _ => false,
                }),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is StoreException { RetryAfter: { } after }
                ? (TimeSpan?)after
                : null),
            OnRetry = args =>
            {
                var kind = Kind(args.Outcome.Exception);
                var op = args.Context.OperationKey ?? "?";
                _metrics.Retry(Name, op, kind);
                // An outage fails every request: one line when it starts, then summaries (RepeatedFailureLog).
                var key = args.Context.Properties.GetValue(KeyProperty, "?");
                if (_failures.Failed(_area, kind.ToString(), op + " " + key))
                {
                    LogMessages.Retrying(_logger, Name, op, key, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                }

                return ValueTask.CompletedTask;
            },
        };
        return new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(retry)
            .AddCircuitBreaker(breaker)
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    private static readonly ResiliencePropertyKey<string> KeyProperty = new("hcpmodelfs.key");

    private async ValueTask<TResult> RunAsync<TState, TResult>(ResiliencePipeline pipeline, string operation, string key,
        TState state, Func<TState, CancellationToken, ValueTask<TResult>> call, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        context.Properties.Set(KeyProperty, key);
        try
        {
            return await pipeline.ExecuteAsync(async (ctx, st) =>
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var result = await st.call(st.state, ctx.CancellationToken);
                    st.self._metrics.Attempt(st.self.Name, st.operation, Stopwatch.GetElapsedTime(started).TotalSeconds, null);
                    st.self._failures.Succeeded(st.self._area);
                    return result;
                }
                catch (Exception e)
                {
                    var kind = e is OperationCanceledException && ctx.CancellationToken.IsCancellationRequested &&
                        !st.cancellationToken.IsCancellationRequested ? StoreErrorKind.Timeout : Kind(e);
                    st.self._metrics.Attempt(st.self.Name, st.operation, Stopwatch.GetElapsedTime(started).TotalSeconds, kind);
                    throw;
                }
            }, context, (self: this, call, state, operation, cancellationToken));
        }
        catch (TimeoutRejectedException e)
        {
            throw new StoreException(StoreErrorKind.Timeout, $"{operation} {key}: no answer within the attempt timeout", e)
            {
                Ambiguous = true,
            };
        }
        catch (BrokenCircuitException e)
        {
            throw new StoreException(StoreErrorKind.CircuitOpen, $"{operation} {key}: store {Name} is failing; circuit open", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static StoreErrorKind Kind(Exception? e) => e switch
    {
        StoreException s => s.Kind,
        TimeoutRejectedException => StoreErrorKind.Timeout,
        BrokenCircuitException => StoreErrorKind.CircuitOpen,
        _ => StoreErrorKind.Unknown,
    };
}
