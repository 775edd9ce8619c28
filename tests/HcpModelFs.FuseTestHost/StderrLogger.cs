using Microsoft.Extensions.Logging;

namespace HcpModelFs.FuseTestHost;

/// <summary>Minimal logger to stderr, so the test that runs the daemon can show its log when it fails.</summary>
internal sealed class StderrLogger : ILogger
{
    private readonly LogLevel _minimum;

    public StderrLogger(LogLevel minimum) => _minimum = minimum;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= _minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{logLevel}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
