namespace HcpModelFs.Testing.Hub;

/// <summary>
/// A fault rule: matching requests (route family, optional path substring) are counted; the rule lets the first
/// <see cref="SkipFirst"/> through, then fires <see cref="Times"/> times (<see cref="int.MaxValue"/> = every request).
/// </summary>
public sealed class FakeHubFault
{
    private readonly Lock _lock = new();
    private int _seen;
    private int _fired;

    public FakeHubFaultKind Kind { get; init; }

    public FakeHubRouteKind Route { get; init; } = FakeHubRouteKind.Any;

    public string? PathContains { get; init; }

    public int SkipFirst { get; init; }

    public int Times { get; init; } = 1;

    public int StatusCode { get; init; } = 503;

    public int? RetryAfterSeconds { get; init; }

    public int? RateLimitResetSeconds { get; init; }

    public long AfterBytes { get; init; }

    public TimeSpan Duration { get; init; }

    public long BytesPerSecond { get; init; }

    /// <summary>JSON property names a <see cref="FakeHubFaultKind.MissingFields"/> rule removes.</summary>
    public IReadOnlyList<string> Fields { get; init; } = [];

    /// <summary>How often the rule fired.</summary>
    public int Fired
    {
        get
        {
            lock (_lock)
            {
                return _fired;
            }
        }
    }

    public static FakeHubFault Status(FakeHubRouteKind route, int statusCode, int times = 1) =>
        new() { Kind = FakeHubFaultKind.Status, Route = route, StatusCode = statusCode, Times = times };

    public static FakeHubFault RateLimited(
        FakeHubRouteKind route, int? retryAfterSeconds, int? rateLimitResetSeconds = null, int times = 1) =>
        new()
        {
            Kind = FakeHubFaultKind.RateLimited, Route = route, StatusCode = 429, Times = times,
            RetryAfterSeconds = retryAfterSeconds, RateLimitResetSeconds = rateLimitResetSeconds,
        };

    public static FakeHubFault ResetAfter(FakeHubRouteKind route, long bytes, int times = 1) =>
        new() { Kind = FakeHubFaultKind.ResetAfterBytes, Route = route, AfterBytes = bytes, Times = times };

    public static FakeHubFault Stall(FakeHubRouteKind route, long afterBytes, TimeSpan duration, int times = 1) =>
        new() { Kind = FakeHubFaultKind.Stall, Route = route, AfterBytes = afterBytes, Duration = duration, Times = times };

    public static FakeHubFault Throttle(FakeHubRouteKind route, long bytesPerSecond, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.Throttle, Route = route, BytesPerSecond = bytesPerSecond, Times = times };

    public static FakeHubFault IgnoreRange(FakeHubRouteKind route, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.IgnoreRange, Route = route, Times = times };

    public static FakeHubFault ExpiredSignature(int times = 1) =>
        new() { Kind = FakeHubFaultKind.ExpiredSignature, Route = FakeHubRouteKind.Cdn, Times = times };

    public static FakeHubFault WrongBytes(FakeHubRouteKind route, long atOffset, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.WrongBytes, Route = route, AfterBytes = atOffset, Times = times };

    public static FakeHubFault WrongLinkedSize(int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.WrongLinkedSize, Route = FakeHubRouteKind.Resolve, Times = times };

    public static FakeHubFault BadJson(FakeHubRouteKind route = FakeHubRouteKind.Api, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.BadJson, Route = route, Times = times };

    public static FakeHubFault MissingFields(FakeHubRouteKind route, IReadOnlyList<string> fields, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.MissingFields, Route = route, Fields = fields, Times = times };

    public static FakeHubFault LyingContentLength(FakeHubRouteKind route, long extraBytes = 1, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.LyingContentLength, Route = route, AfterBytes = extraBytes, Times = times };

    public static FakeHubFault WrongSha256(int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.WrongSha256, Route = FakeHubRouteKind.Api, Times = times };

    public static FakeHubFault EndlessRedirect(FakeHubRouteKind route = FakeHubRouteKind.Resolve, int times = int.MaxValue) =>
        new() { Kind = FakeHubFaultKind.EndlessRedirect, Route = route, Times = times };

    internal bool TryFire(FakeHubRouteKind route, string path)
    {
        if ((Route != FakeHubRouteKind.Any && Route != route)
            || (PathContains is not null && !path.Contains(PathContains, StringComparison.Ordinal)))
        {
            return false;
        }

        lock (_lock)
        {
            _seen++;
            if (_seen <= SkipFirst || _fired >= Times)
            {
                return false;
            }

            _fired++;
            return true;
        }
    }
}
