namespace HcpModelFs.Store;

/// <summary>A completed part of a multipart upload.</summary>
public readonly record struct PartETag(int PartNumber, string ETag);
