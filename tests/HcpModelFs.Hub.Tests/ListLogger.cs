using Microsoft.Extensions.Logging;

namespace HcpModelFs.Hub.Tests;

/// <summary>Keeps every formatted log line (and exception text) so tests can look for leaked secrets.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<string> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(
        LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
        {
            Lines.Add($"{eventId.Id} {formatter(state, exception)} {exception}");
        }
    }
}
