namespace HcpModelFs.Store;

/// <summary>An object's metadata. <see cref="LastModified"/> is the store's clock (leases depend on it).</summary>
public sealed record ObjectInfo(string Key, long Size, string ETag, DateTimeOffset LastModified);
