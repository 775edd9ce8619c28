using Microsoft.Extensions.Logging;

namespace HcpModelFs.Http;

/// <summary>Log events of the HTTP endpoint (ids 5000-5099). Tokens are never logged, nor query strings.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(5000, LogLevel.Information, "Hub-compatible HTTP endpoint listening on {Address}; client tokens {Access}")]
    public static partial void Listening(ILogger logger, string address, string access);

    [LoggerMessage(5001, LogLevel.Debug, "{Method} {Route} {Path} -> {Status} ({Bytes} bytes, {Milliseconds} ms)")]
    public static partial void Request(ILogger logger, string method, string route, string path, int status, long bytes, long milliseconds);

    [LoggerMessage(5002, LogLevel.Warning, "{Method} {Route} {Path} failed: {Kind} -> {Status}: {Reason}")]
    public static partial void RequestFailed(ILogger logger, string method, string route, string path, string kind, int status, string reason);

    [LoggerMessage(5003, LogLevel.Error, "{Method} {Route} {Path}: unexpected failure -> 500")]
    public static partial void Unexpected(ILogger logger, Exception exception, string method, string route, string path);

    [LoggerMessage(5004, LogLevel.Warning, "{Method} {Route} {Path}: failed after {Bytes} bytes of the body were sent ({Kind}: {Reason}); connection aborted so the client cannot take a short body for the file")]
    public static partial void AbortedMidBody(ILogger logger, string method, string route, string path, long bytes, string kind, string reason);

    [LoggerMessage(5005, LogLevel.Information, "Refused a client: {Reason}")]
    public static partial void Unauthorized(ILogger logger, string reason);

    [LoggerMessage(5007, LogLevel.Error, "Cannot listen on {Address}: {Reason}")]
    public static partial void ListenFailed(ILogger logger, string address, string reason);

    [LoggerMessage(5006, LogLevel.Information, "Hub-compatible HTTP endpoint stopped")]
    public static partial void Stopped(ILogger logger);
}
