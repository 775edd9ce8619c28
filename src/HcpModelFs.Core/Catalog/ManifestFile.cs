namespace HcpModelFs.Core.Catalog;

/// <summary>One file of a manifest. <see cref="Path"/> is relative to the revision root, '/'-separated.</summary>
public sealed record ManifestFile(string Path, long Size, string Sha256, string ETag);
