using Spectre.Console;

namespace HcpModelFs.Commands.Cli;

/// <summary>
/// Bytes done of one long job (export, upload): a Spectre.Console bar for a person at a terminal, else a log line every
/// few seconds (containers, pipes, --json). Reports may come from several threads.
/// </summary>
internal abstract class ByteProgress : IProgress<long>, IDisposable
{
    public abstract void Report(long value);

    public abstract void Dispose();

    /// <summary>Runs <paramref name="work"/> with a bar when <paramref name="output"/> is interactive, else with log lines.</summary>
    public static async Task<T> RunAsync<T>(CliOutput output, string label, long total, Action<long, long> log, Func<ByteProgress, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(work);
        if (output.IsInteractive && AnsiConsole.Profile.Capabilities.Interactive)
        {
            var result = default(T)!;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                .StartAsync(async context =>
                {
                    using var bar = new Bar(context.AddTask(label, maxValue: Math.Max(total, 1)));
                    result = await work(bar);
                });
            return result;
        }

        using var lines = new LogLines(total, log);
        return await work(lines);
    }

    private sealed class Bar(ProgressTask task) : ByteProgress
    {
        public override void Report(long value) => task.Increment(value);

        public override void Dispose() => task.StopTask();
    }

    private sealed class LogLines : ByteProgress
    {
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
        private readonly Timer _timer;
        private long _done;

        public LogLines(long total, Action<long, long> log) =>
            _timer = new Timer(_ => log(Interlocked.Read(ref _done), total), null, Every, Every);

        public override void Report(long value) => Interlocked.Add(ref _done, value);

        public override void Dispose() => _timer.Dispose();
    }
}
