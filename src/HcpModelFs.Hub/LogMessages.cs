using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hub;

/// <summary>Log events of the Hub client (ids 4000-4099). URLs are logged without their query string.</summary>
internal static partial class LogMessages
{
    // Debug: the caller logs the outcome once (after the last attempt); a line per retry is noise in an outage.
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug,
        Message = "Hub call failed ({Reason}); retry {Attempt} in {DelayMs} ms")]
    public static partial void RetryScheduled(this ILogger logger, string reason, int attempt, double delayMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug,
        Message = "Following {Status} redirect from {From} to {To}")]
    public static partial void RedirectFollowed(this ILogger logger, int status, string from, string to);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug,
        Message = "Redirect leaves the Hub for {Host}: Authorization not sent")]
    public static partial void AuthorizationDropped(this ILogger logger, string host);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information,
        Message = "Signed URL for {Repo}@{Commit}:{Path} expired or was refused; resolving again")]
    public static partial void SignedUrlRefreshed(this ILogger logger, string repo, string commit, string path);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning,
        Message = "Hub rate limit ({Reason}); waiting {DelayMs} ms")]
    public static partial void RateLimited(this ILogger logger, string reason, double delayMs);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information,
        Message = "Body of {Url} ended after {Received} of {Expected} bytes ({Reason}); resuming")]
    public static partial void ResumingTruncatedBody(
        this ILogger logger, string url, long received, long expected, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Debug,
        Message = "Hub {Method} {Url} -> {Status}")]
    public static partial void Response(this ILogger logger, string method, string url, int status);
}
