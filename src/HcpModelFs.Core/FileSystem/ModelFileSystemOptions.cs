namespace HcpModelFs.Core.FileSystem;

/// <summary>Kernel cache times of the model filesystem.</summary>
public sealed record ModelFileSystemOptions
{
    /// <summary>Names and attributes inside a managed (immutable) revision.</summary>
    public TimeSpan ImmutableTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The root, organisations, model names (a default revision may be re-pinned) and plain folders.</summary>
    public TimeSpan DynamicTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Directory the cache lives in: statfs reports its disk.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>What starts the ingest of a model found only on the Hub.</summary>
    public Ingest.IngestTrigger IngestOn { get; init; } = Ingest.IngestTrigger.Open;

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>Answer opens of complete, verified cache files with FUSE passthrough where the kernel grants it.</summary>
    public bool Passthrough { get; init; } = true;

    /// <summary>While an expected failure repeats, at most one summary line per this interval (one line when it starts).</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest any request waits (a fetch, another reader's fetch, an ingest check) before it is EIO.</summary>
    public RequestLimit RequestLimit { get; init; } = RequestLimit.Of(TimeSpan.FromSeconds(30));
}
