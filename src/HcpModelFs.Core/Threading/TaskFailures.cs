namespace HcpModelFs.Core.Threading;

/// <summary>
/// When one of several concurrent tasks fails, it cancels the others; awaiting them then surfaces a cancellation.
/// What the user needs is the failure that started it (a changed object, a store error), which this finds.
/// </summary>
internal static class TaskFailures
{
    /// <summary>The first failure among <paramref name="tasks"/> that is not a cancellation, or null.</summary>
    public static Exception? FirstCause(IEnumerable<Task> tasks)
    {
        foreach (var task in tasks)
        {
            if (task.Exception is { } aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (inner is not OperationCanceledException)
                    {
                        return inner;
                    }
                }
            }
        }

        return null;
    }
}
