using Microsoft.Extensions.Logging;

namespace HcpModelFs.Store;

/// <summary>All log events of the store layer, with stable event ids (2000-2999). No credentials in any of them.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "Store {Store}: exclusive create {Mode}, overwrite {Overwrite}, multipart {Multipart}, complete-multipart ETag omitted {EmptyETag}, delete {Delete}")]
    public static partial void CapabilitiesDetected(
        ILogger logger, string store, ExclusiveCreateMode mode, bool overwrite, bool multipart, bool emptyETag, bool delete);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "Store {Store} honours neither If-None-Match nor 409-on-existing: ingest leases are off")]
    public static partial void LeasesOff(ILogger logger, string store);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "TLS certificate verification is OFF for {Endpoint} (HCP_VERIFY_SSL=false): any certificate is accepted")]
    public static partial void TlsVerificationOff(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "TLS certificate of {Host} rejected: {Reason}")]
    public static partial void TlsRejected(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug,
        Message = "Read of {Key} ended early at {Received}/{Requested} bytes; continuing (attempt {Attempt})")]
    public static partial void ReadContinued(ILogger logger, string key, long received, long requested, int attempt);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning,
        Message = "Store {Store} {Operation} {Key} failed ({Kind}); retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(
        ILogger logger, string store, string operation, string key, StoreErrorKind kind, int attempt, double delayMs);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error,
        Message = "Store {Store}: circuit opened for {BreakSeconds} s after repeated failures")]
    public static partial void CircuitOpened(ILogger logger, string store, double breakSeconds);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Store {Store}: circuit closed")]
    public static partial void CircuitClosed(ILogger logger, string store);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information,
        Message = "Credentials file {Path} changed; reloading")]
    public static partial void CredentialsReloaded(ILogger logger, string path);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Debug,
        Message = "Capability probe cleanup of {Key} failed ({Kind}); deletes may be forbidden by retention")]
    public static partial void ProbeCleanupFailed(ILogger logger, string key, StoreErrorKind kind);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "{Area} still failing ({Kind}): {Count} more in the last {Seconds:F0} s, {Total} since it started; last: {Reason}")]
    public static partial void StillFailing(ILogger logger, string area, string kind, long count, double seconds, long total, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information,
        Message = "{Area} recovered ({Kind}) after {Total} failures in {Seconds:F0} s")]
    public static partial void Recovered(ILogger logger, string area, string kind, long total, double seconds);
}
