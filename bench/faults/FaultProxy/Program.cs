using System.Globalization;
using System.Runtime.InteropServices;
using HcpModelFs.Testing.Store;

// bench/faults: S3FaultProxy in front of an S3 endpoint, faults on data GETs (seeded), until SIGTERM/SIGINT.
// Usage: HcpModelFs.FaultProxy UPSTREAM_URL [--reset P] [--slowdown P] [--retry-after S]
// Prints "PROXY <url>" once listening, and "FAULTS gets=N resets=N slowdowns=N" when it stops.
if (args.Length < 1 || !Uri.TryCreate(args[0], UriKind.Absolute, out var upstream))
{
    await Console.Error.WriteLineAsync("usage: HcpModelFs.FaultProxy UPSTREAM_URL [--reset P] [--slowdown P] [--retry-after S]");
    return 2;
}

double reset = 0, slowdown = 0;
var retryAfter = 0;
for (var i = 1; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--reset":
            reset = double.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--slowdown":
            slowdown = double.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--retry-after":
            retryAfter = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        default:
            await Console.Error.WriteLineAsync($"unknown option {args[i]}");
            return 2;
    }
}

await using var proxy = new S3FaultProxy(upstream);
if (reset > 0)
{
    proxy.AddRule(new FaultRule(FaultKind.ResetMidBody) { Match = FaultRule.DataGet, Probability = reset, AfterBytes = 256 * 1024 });
}

if (slowdown > 0)
{
    proxy.AddRule(new FaultRule(FaultKind.SlowDown)
    {
        Match = FaultRule.DataGet, Probability = slowdown, WithRetryAfter = retryAfter > 0, RetryAfterSeconds = retryAfter,
    });
}

using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
await Console.Out.WriteLineAsync($"PROXY {proxy.Endpoint}");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
    $"FAULTS gets={proxy.Count(FaultRule.DataGet)} resets={proxy.Count(r => r.Fault == FaultKind.ResetMidBody)} slowdowns={proxy.Count(r => r.Fault == FaultKind.SlowDown)}"));
return 0;
