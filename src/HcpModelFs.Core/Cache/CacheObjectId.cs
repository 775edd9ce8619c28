namespace HcpModelFs.Core.Cache;

/// <summary>
/// Immutable identity of cached content. <paramref name="Key"/> is the store key; <paramref name="ETag"/> (or the
/// commit sha) pins the content; <paramref name="Size"/> is the object size in bytes. <paramref name="Sha256"/>
/// (lowercase hex), when known, is checked against the whole file once every block of the object is present — unless
/// <paramref name="Blocks"/> (per-block CRC32C recorded at upload or ingest) already checked every block as it came.
/// </summary>
public sealed record CacheObjectId(string Key, string ETag, long Size, string? Sha256 = null, BlockChecksums? Blocks = null);
