namespace HcpModelFs.Commands.Export;

/// <summary>Bytes read from the store do not match the manifest (block CRC32C, sha256 or size): nothing is renamed into place.</summary>
internal sealed class ExportVerificationException(string message) : Exception(message);
