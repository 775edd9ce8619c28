using System.Text.Json.Serialization;
using HcpModelFs.Core.Catalog;

namespace HcpModelFs.Core.Import;

/// <summary>Source-generated JSON for the import's own keys, named as in the manifest.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ManifestFile))]
[JsonSerializable(typeof(ImportMarker))]
internal sealed partial class ImportJsonContext : JsonSerializerContext;
