using System.Text.Json.Serialization;

namespace HcpModelFs.Core.Catalog;

/// <summary>Source-generated JSON for the manifest: no reflection, stable camelCase field names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
