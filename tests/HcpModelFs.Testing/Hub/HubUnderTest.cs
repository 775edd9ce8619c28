using HcpModelFs.Hub;

namespace HcpModelFs.Testing.Hub;

/// <summary>An <see cref="IModelHub"/> built for one contract test, with whatever it needs disposed after.</summary>
public sealed class HubUnderTest(IModelHub hub, Func<ValueTask>? dispose = null) : IAsyncDisposable
{
    public IModelHub Hub { get; } = hub;

    public ValueTask DisposeAsync() => dispose?.Invoke() ?? ValueTask.CompletedTask;
}
