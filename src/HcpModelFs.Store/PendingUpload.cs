namespace HcpModelFs.Store;

/// <summary>An unfinished multipart upload.</summary>
public sealed record PendingUpload(string Key, string UploadId, DateTimeOffset Initiated);
