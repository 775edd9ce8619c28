namespace HcpModelFs.Core.Import;

/// <summary>One object of the source folder: its path inside the model, key, size and the ETag seen when listed.</summary>
public sealed record SourceFile(string Path, string Key, long Size, string ETag);
