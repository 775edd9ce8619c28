using Microsoft.Extensions.Internal;

namespace HcpModelFs.Core.Catalog;

/// <summary>Lets MemoryCache expire entries on the test's clock.</summary>
internal sealed class TimeProviderClock(TimeProvider time) : ISystemClock
{
    public DateTimeOffset UtcNow => time.GetUtcNow();
}
