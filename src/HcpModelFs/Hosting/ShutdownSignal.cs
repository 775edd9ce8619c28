using System.Runtime.InteropServices;

namespace HcpModelFs.Hosting;

/// <summary>Completes on the first SIGTERM or SIGINT (what systemd, Kubernetes and Ctrl-C send).</summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly TaskCompletionSource<PosixSignal> _signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _interrupt;

    public ShutdownSignal()
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    public Task<PosixSignal> Task => _signalled.Task;

    /// <summary>A token source cancelled by <paramref name="token"/> or by the signal, whichever comes first.</summary>
    public CancellationTokenSource Link(CancellationToken token)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(token);
        _ = _signalled.Task.ContinueWith(_ => linked.Cancel(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return linked;
    }

    public void Dispose()
    {
        _term.Dispose();
        _interrupt.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // We shut down ourselves: unmount first, then exit.
        _signalled.TrySetResult(context.Signal);
    }
}
