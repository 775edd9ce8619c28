namespace HcpModelFs.Store.Configuration;

/// <summary>
/// Store settings (design.md §8). With no <see cref="Endpoint"/>, the store is a local directory
/// (<see cref="LocalDirectory"/>). <see cref="ToString"/> never shows credentials.
/// </summary>
public sealed record StoreSettings
{
    public Uri? Endpoint { get; init; }

    public string? Bucket { get; init; }

    public string Region { get; init; } = "us-east-1";

    public string Prefix { get; init; } = "models/";

    public bool VerifySsl { get; init; } = true;

    public string? RootCaPath { get; init; }

    /// <summary>Connection pool size per server (HCP accepts about 255 per node).</summary>
    public int MaxConnections { get; init; } = 64;

    public CredentialSource? AccessKey { get; init; }

    public CredentialSource? SecretKey { get; init; }

    /// <summary>How often credential files are checked for a change.</summary>
    public TimeSpan CredentialRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    public string? LocalDirectory { get; init; }

    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a failure that keeps repeating is summarised in the log (see <see cref="RepeatedFailureLog"/>).</summary>
    public TimeSpan FailureLogInterval { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxRetries { get; init; } = 3;

    public bool IsS3 => Endpoint is not null;
}
