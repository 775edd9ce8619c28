using HcpModelFs.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace HcpModelFs.Commands.Export;

/// <summary>Bytes exported of one model, as a progress bar or as periodic log lines.</summary>
internal interface IModelProgress : IDisposable
{
    void Add(long bytes);
}

/// <summary>A Spectre.Console bar (a person at a terminal).</summary>
internal sealed class BarProgress(ProgressTask task) : IModelProgress
{
    public void Add(long bytes) => task.Increment(bytes);

    public void Dispose() => task.StopTask();
}

/// <summary>A log line every few seconds (containers, pipes, --json): how far the model has got.</summary>
internal sealed class LogProgress : IModelProgress
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
    private readonly Timer _timer;
    private long _done;

    public LogProgress(ILogger logger, string model, long total, int files)
    {
        _timer = new Timer(_ => ExportLog.Progress(logger, model, Interlocked.Read(ref _done), total, files), null, Every, Every);
    }

    public void Add(long bytes) => Interlocked.Add(ref _done, bytes);

    public void Dispose() => _timer.Dispose();
}
