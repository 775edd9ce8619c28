using Microsoft.Extensions.Logging;

namespace HcpModelFs.Http;

/// <summary>
/// The daemon's logger factory for Kestrel and ASP.NET Core, with their categories raised to Warning: their
/// per-request Information lines would be one line per file GET. Our own request line (event 5001) is Debug and
/// carries what matters (route, status, bytes); failures stay visible. The generic host's own lifecycle lines are
/// dropped: start, stop and a failed bind are reported by the endpoint itself, once, without a stack (events 5000,
/// 5006, 5007).
/// </summary>
internal sealed class QuietFrameworkLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        if (categoryName.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal) ||
            categoryName.StartsWith("Microsoft.Hosting.Lifetime", StringComparison.Ordinal))
        {
            return Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        }

        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.", StringComparison.Ordinal) ? new AtLeastWarning(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The daemon owns the inner factory and disposes it.
    public void Dispose()
    {
    }

    private sealed class AtLeastWarning(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
