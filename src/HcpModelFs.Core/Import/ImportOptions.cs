using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Import;

/// <summary>How an import runs. Memory is about 2 × <see cref="Parallelism"/> × <see cref="PartSize"/> (the part buffers: parts filling and parts uploading).</summary>
public sealed record ImportOptions
{
    public const int DefaultPartSize = 16 << 20;

    /// <summary>Bytes per ranged GET and multipart part (PartPlan raises it for files that would need over 10,000 parts).</summary>
    public int PartSize { get; init; } = DefaultPartSize;

    /// <summary>Parts read at once, parts uploaded at once (<see cref="Transfer.PartPipeline"/>) and files copied at once.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>Ref name pointed at the import as well as the default (HEAD), as `upload --revision`.</summary>
    public string Revision { get; init; } = "main";

    /// <summary>Which source paths to import (include/exclude globs); default all.</summary>
    public Func<string, bool> Include { get; init; } = static _ => true;

    /// <summary>
    /// Longest a streamed whole-object read (a source that refuses ranges) may take to fill one part: the store's
    /// attempt timeout covers only the open, and a stalled body must fail rather than hang.
    /// </summary>
    public TimeSpan StreamPartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The manifest's CRC32C block size: the cache's default, as `upload` records it.</summary>
    public int BlockSize { get; init; } = DiskBlockCacheOptions.DefaultBlockSize;
}
