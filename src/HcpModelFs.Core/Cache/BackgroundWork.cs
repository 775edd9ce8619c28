namespace HcpModelFs.Core.Cache;

/// <summary>Work that may outlive its callers (fetches, whole-file hashes, trash unlinks), so shutdown and tests can wait for it.</summary>
internal sealed class BackgroundWork
{
    private readonly Lock _lock = new();
    private readonly List<Task> _tasks = [];

    public Task Track(Task task)
    {
        if (!task.IsCompleted)
        {
            lock (_lock)
            {
                _tasks.RemoveAll(static t => t.IsCompleted);
                _tasks.Add(task);
            }
        }

        return task;
    }

    /// <summary>Completes when work started so far has finished; failures went to their callers or were logged.</summary>
    public async Task WhenIdleAsync()
    {
        try
        {
            await Task.WhenAll(Pending());
        }
        catch (Exception)
        {
            // Only waiting.
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for everything started so far.</summary>
    public void WaitAll(TimeSpan timeout)
    {
        try
        {
            Task.WaitAll(Pending(), timeout);
        }
        catch (AggregateException)
        {
            // Fetch failures went to their readers; verification failures were logged.
        }
    }

    private Task[] Pending()
    {
        lock (_lock)
        {
            return [.. _tasks];
        }
    }
}
