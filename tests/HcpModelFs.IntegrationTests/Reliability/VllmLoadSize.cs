using System.Globalization;

namespace HcpModelFs.IntegrationTests.Reliability;

/// <summary>
/// Sizes of the vLLM-style load scenario. CI runs the defaults; the size (8 processes on a 2 GiB shard, 16
/// threads on another 2 GiB shard) is <c>HCPMODELFS_RELIABILITY_VLLM_MMAP_MIB=2048 HCPMODELFS_RELIABILITY_VLLM_READ_MIB=2048</c>
/// (bench/soak or a long run); docs/RELIABILITY.md §3 lists every variable.
/// </summary>
internal sealed record VllmLoadSize(
    int MmapProcesses,
    long MmapShardBytes,
    int ReadThreads,
    long ReadShardBytes,
    TimeSpan StoreLatency,
    ushort MaxBackground,
    TimeSpan ReadLimit,
    TimeSpan Deadline)
{
    private const string Prefix = "HCPMODELFS_RELIABILITY_VLLM_";

    public static VllmLoadSize FromEnvironment()
    {
        var mmapMib = Number("MMAP_MIB", 192);
        var readMib = Number("READ_MIB", 128);
        return new VllmLoadSize(
            MmapProcesses: (int)Number("PROCESSES", 8),
            MmapShardBytes: (mmapMib << 20) + 4_321, // not a whole number of pages or blocks: the tail is read too
            ReadThreads: (int)Number("THREADS", 16),
            ReadShardBytes: (readMib << 20) + 77,
            StoreLatency: TimeSpan.FromMilliseconds(Number("LATENCY_MS", 50)),
            MaxBackground: (ushort)Number("MAX_BACKGROUND", 4),
            // A bound of the daemon's latency histogram (…, 2.5, 5, 10 s), below the 30 s request limit of design §9.
            ReadLimit: TimeSpan.FromSeconds(Number("READ_LIMIT_SECONDS", 10)),
            // Generous against a slow CI machine, still a hang detector: ~2 MB/s would be far below any real run.
            Deadline: TimeSpan.FromSeconds(Number("DEADLINE_SECONDS", 60 + ((mmapMib + readMib) / 2))));
    }

    private static long Number(string name, long fallback) =>
        Environment.GetEnvironmentVariable(Prefix + name) is { Length: > 0 } value
            ? long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture)
            : fallback;
}
