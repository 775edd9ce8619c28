namespace HcpModelFs.Testing.Hub;

/// <summary>The fault rules of a fake Hub; the first rule that fires for a request applies.</summary>
public sealed class FakeHubFaults
{
    private readonly Lock _lock = new();
    private readonly List<FakeHubFault> _rules = [];

    public FakeHubFault Add(FakeHubFault fault)
    {
        lock (_lock)
        {
            _rules.Add(fault);
        }

        return fault;
    }

    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    internal FakeHubFault? Take(FakeHubRouteKind route, string path)
    {
        lock (_lock)
        {
            foreach (var rule in _rules)
            {
                if (rule.TryFire(route, path))
                {
                    return rule;
                }
            }
        }

        return null;
    }
}
