namespace HcpModelFs.Core.Cache;

/// <summary>Single-flight key of one block of one cache entry (entries are compared by reference).</summary>
internal readonly record struct BlockKey(CacheEntry Entry, long Index);
