namespace HcpModelFs.Store;

/// <summary>A completed part of a multipart upload; <paramref name="Size"/> is its length in bytes, -1 when not known.</summary>
public readonly record struct PartETag(int PartNumber, string ETag, long Size = -1);
