using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Catalog;

/// <summary>A file of a resolved revision: where its bytes are in the store and what identifies them in the cache.</summary>
public sealed record RevisionFile(string Path, string Name, long Size, CacheObjectId CacheId);
