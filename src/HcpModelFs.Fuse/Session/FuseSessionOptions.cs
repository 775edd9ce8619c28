using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Session;

/// <summary>Tunables of a FUSE session. Defaults follow fuse-protocol.md §0.</summary>
public sealed record FuseSessionOptions
{
    /// <summary>Dedicated threads reading /dev/fuse, each on its own cloned descriptor.</summary>
    public int ReaderThreads { get; init; } = 4;

    /// <summary>Pages per request; 256 = 1 MiB READs (the kernel clamps to fs.fuse.max_pages_limit).</summary>
    public ushort MaxPages { get; init; } = 256;

    /// <summary>Background (readahead) requests in flight; the kernel default of 12 starves parallel readers.</summary>
    public ushort MaxBackground { get; init; } = 128;

    public ushort CongestionThreshold { get; init; } = 96;

    /// <summary>What INIT sends: a threshold at or above <see cref="MaxBackground"/> would never mark the mount congested.</summary>
    public ushort EffectiveCongestionThreshold => (ushort)Math.Max(1, Math.Min(CongestionThreshold, MaxBackground * 3 / 4));

    /// <summary>A read-only filesystem never receives big WRITEs; this only sizes the request buffers.</summary>
    public uint MaxWrite { get; init; } = 128 * 1024;

    /// <summary>read_ahead_kb to set on the mount's BDI after INIT when permitted; null leaves the kernel default (128).</summary>
    public int? ReadAheadKb { get; init; } = 16 * 1024;

    /// <summary>Capabilities we ask for; the kernel grants the intersection with what it offers.</summary>
    public FuseInitFlags WantedFlags { get; init; } =
        FuseInitFlags.AsyncRead | FuseInitFlags.ParallelDirops | FuseInitFlags.MaxPages | FuseInitFlags.DoReaddirplus |
        FuseInitFlags.ReaddirplusAuto | FuseInitFlags.CacheSymlinks | FuseInitFlags.ExplicitInvalData |
        FuseInitFlags.AsyncDio | FuseInitFlags.AbortError | FuseInitFlags.InitExt;

    /// <summary>
    /// Ask for FUSE_PASSTHROUGH (6.9+) when the kernel offers it, so the filesystem may answer OPEN with a backing file
    /// (<see cref="IFuseBackingFiles"/>). Granting it changes nothing until the filesystem does.
    /// </summary>
    public bool Passthrough { get; init; } = true;

    /// <summary>How long Stop waits for in-flight requests and reader threads before aborting the connection.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
