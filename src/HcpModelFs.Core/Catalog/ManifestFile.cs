using System.Text.Json.Serialization;
using HcpModelFs.Core.Cache;

namespace HcpModelFs.Core.Catalog;

/// <summary>
/// One file of a manifest. <see cref="Path"/> is relative to the revision root, '/'-separated. <see cref="Blocks"/>
/// (absent in manifests written before it existed) lets a reader check every fetched block without hashing the file.
/// </summary>
public sealed record ManifestFile(
    string Path,
    long Size,
    string Sha256,
    string ETag,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BlockChecksums? Blocks = null);
