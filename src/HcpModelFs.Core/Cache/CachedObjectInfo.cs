namespace HcpModelFs.Core.Cache;

/// <summary>
/// One object known to the cache, for <c>hcpmodelfs cache stats</c>. Objects found on disk but not used since
/// start-up have <see cref="Loaded"/> false, no identity and an estimated <see cref="Bytes"/>.
/// </summary>
public sealed record CachedObjectInfo(
    string Stem,
    string? Key,
    string? ETag,
    long? Size,
    long Bytes,
    long PresentBlocks,
    bool Loaded,
    int Pins,
    DateTimeOffset? LastAccessUtc);
