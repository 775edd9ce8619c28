namespace HcpModelFs.Store.Configuration;

/// <summary>Where a credential comes from: a literal value, or a file that is re-read when it changes.</summary>
public sealed class CredentialSource
{
    private CredentialSource(SecretString? value, string? filePath)
    {
        Value = value;
        FilePath = filePath;
    }

    public SecretString? Value { get; }

    public string? FilePath { get; }

    public static CredentialSource FromValue(string value) => new(new SecretString(value), null);

    public static CredentialSource FromFile(string path) => new(null, path);

    public override string ToString() => FilePath is null ? "value ***" : $"file {FilePath}";
}
