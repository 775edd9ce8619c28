using HcpModelFs.Store.Configuration;

namespace HcpModelFs.Configuration;

/// <summary>
/// Binds the store `hcpmodelfs import` reads from, from HCPMODELFS_SOURCE_* variables (config file, .env, environment,
/// or the command's --source-* flags). The parsing is <see cref="StoreSettingsBinder"/>'s: each variable is handed to
/// it under the HCP_* name it stands for, and its errors are renamed back, so both stores accept the same values.
/// Timeouts, retries and the connection budget are the destination's. Errors name variables, never values.
/// </summary>
internal static class SourceStoreSettingsBinder
{
    private static readonly (string Source, string Store)[] Names =
    [
        ("HCPMODELFS_SOURCE_ENDPOINT", "HCP_ENDPOINT"),
        ("HCPMODELFS_SOURCE_REGION", "HCP_REGION"),
        ("HCPMODELFS_SOURCE_VERIFY_SSL", "HCP_VERIFY_SSL"),
        ("HCPMODELFS_SOURCE_ROOT_CA_PATH", "HCP_ROOT_CA_PATH"),
        ("HCPMODELFS_SOURCE_ACCESS_KEY", "HCP_ACCESS_KEY"),
        ("HCPMODELFS_SOURCE_ACCESS_KEY_FILE", "HCP_ACCESS_KEY_FILE"),
        ("HCPMODELFS_SOURCE_SECRET_KEY", "HCP_SECRET_KEY"),
        ("HCPMODELFS_SOURCE_SECRET_KEY_FILE", "HCP_SECRET_KEY_FILE"),
    ];

    public static StoreSettings Bind(IReadOnlyDictionary<string, string> values, string bucket, StoreSettings destination)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(destination);
        string? Get(string name) => values.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;

        if (Get("HCPMODELFS_SOURCE_ENDPOINT") is null)
        {
            throw new FormatException("HCPMODELFS_SOURCE_ENDPOINT (--source-endpoint) is required: the S3 endpoint of the store to import from");
        }

        if ((Get("HCPMODELFS_SOURCE_ACCESS_KEY") ?? Get("HCPMODELFS_SOURCE_ACCESS_KEY_FILE")) is null ||
            (Get("HCPMODELFS_SOURCE_SECRET_KEY") ?? Get("HCPMODELFS_SOURCE_SECRET_KEY_FILE")) is null)
        {
            throw new FormatException(
                "HCPMODELFS_SOURCE_ACCESS_KEY and HCPMODELFS_SOURCE_SECRET_KEY (or their *_FILE, --source-access-key-file/--source-secret-key-file) are required for the source store");
        }

        var mapped = new Dictionary<string, string>(StringComparer.Ordinal) { ["HCP_NAMESPACE"] = bucket, ["HCP_PREFIX"] = string.Empty };
        foreach (var (source, store) in Names)
        {
            if (Get(source) is { } value)
            {
                mapped[store] = value;
            }
        }

        try
        {
            return StoreSettingsBinder.Bind(mapped) with
            {
                AttemptTimeout = destination.AttemptTimeout,
                MaxRetries = destination.MaxRetries,
                MaxConnections = destination.MaxConnections,
                FailureLogInterval = destination.FailureLogInterval,
            };
        }
        catch (FormatException e)
        {
            throw new FormatException(Rename(e.Message), e);
        }
    }

    private static string Rename(string message)
    {
        foreach (var (source, store) in Names)
        {
            message = message.Replace(store, source, StringComparison.Ordinal);
        }

        return message.Replace("/S3_ENDPOINT", string.Empty, StringComparison.Ordinal);
    }
}
