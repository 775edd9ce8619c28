using System.Globalization;

/// <summary>
/// The whole machine's busy CPU time from /proc/stat (user, nice, system, irq, softirq, steal; not idle or iowait):
/// on a 2-core bench machine the store, the fake Hub and the daemon share the cores, so CPU-seconds per GiB across the
/// machine is what bounds every throughput row.
/// </summary>
internal readonly record struct MachineCpu(long BusyTicks)
{
    // USER_HZ: 100 on every Linux configuration the bench runs on (getconf CLK_TCK).
    private const double TicksPerSecond = 100;

    public static MachineCpu Now()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return new MachineCpu(Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8));
    }

    public double BusySecondsSince() => (Now().BusyTicks - BusyTicks) / TicksPerSecond;
}
