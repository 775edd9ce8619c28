using System.Globalization;

namespace HcpModelFs.Store.Configuration;

/// <summary>
/// Binds <see cref="StoreSettings"/> from environment-style variables: <c>HCP_*</c> first, <c>S3_*</c> as fallback,
/// secrets also as <c>*_FILE</c> (as Kubernetes mounts them). Sources, later wins: defaults &lt; <c>.env</c> &lt;
/// environment. A pure function of its inputs, so it is tested without touching the process environment.
/// Errors name the variable, never its value.
/// </summary>
public static class StoreSettingsBinder
{
    public static StoreSettings Bind(
        IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string>? dotEnv = null)
    {
        var merged = ConfigurationSources.Merge(environment, dotEnv);

        string? Get(params string[] names)
        {
            foreach (var n in names)
            {
                if (merged.TryGetValue(n, out var v) && !string.IsNullOrWhiteSpace(v))
                {
                    return v.Trim();
                }
            }

            return null;
        }

        var defaults = new StoreSettings();
        var endpointText = Get("HCP_ENDPOINT", "S3_ENDPOINT");
        Uri? endpoint = null;
        if (endpointText is not null)
        {
            // HCP is usually given as the tenant host name alone: HTTPS then.
            var withScheme = endpointText.Contains("://", StringComparison.Ordinal) ? endpointText : "https://" + endpointText;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out endpoint) ||
                endpoint.Scheme is not ("http" or "https"))
            {
                throw new FormatException("HCP_ENDPOINT/S3_ENDPOINT is not an http(s) URL");
            }
        }

        var settings = defaults with
        {
            Endpoint = endpoint,
            Bucket = Get("HCP_NAMESPACE", "S3_BUCKET"),
            Region = Get("HCP_REGION", "S3_REGION", "AWS_REGION") ?? defaults.Region,
            Prefix = NormalisePrefix(Get("HCP_PREFIX", "S3_PREFIX") ?? defaults.Prefix),
            VerifySsl = ParseBool(Get("HCP_VERIFY_SSL", "S3_VERIFY_SSL"), "HCP_VERIFY_SSL", defaults.VerifySsl),
            RootCaPath = Get("HCP_ROOT_CA_PATH", "S3_ROOT_CA_PATH", "AWS_CA_BUNDLE"),
            MaxConnections = ParseInt(Get("HCP_MAX_CONNECTIONS", "S3_MAX_CONNECTIONS"), "HCP_MAX_CONNECTIONS",
                defaults.MaxConnections, 1, 10_000),
            AccessKey = Credential(merged, "HCP_ACCESS_KEY", "S3_ACCESS_KEY_ID"),
            SecretKey = Credential(merged, "HCP_SECRET_KEY", "S3_SECRET_ACCESS_KEY"),
            CredentialRefreshInterval = TimeSpan.FromSeconds(ParseInt(Get("HCP_CREDENTIALS_REFRESH_SECONDS"),
                "HCP_CREDENTIALS_REFRESH_SECONDS", (int)defaults.CredentialRefreshInterval.TotalSeconds, 0, 86_400)),
            LocalDirectory = Get("HCPMODELFS_STORE_DIR"),
            AttemptTimeout = TimeSpan.FromSeconds(ParseInt(Get("HCP_ATTEMPT_TIMEOUT_SECONDS"),
                "HCP_ATTEMPT_TIMEOUT_SECONDS", (int)defaults.AttemptTimeout.TotalSeconds, 1, 3600)),
            MaxRetries = ParseInt(Get("HCP_MAX_RETRIES"), "HCP_MAX_RETRIES", defaults.MaxRetries, 0, 100),
        };

        if (settings.IsS3)
        {
            if (settings.Bucket is null)
            {
                throw new FormatException("HCP_NAMESPACE/S3_BUCKET is required when an endpoint is set");
            }

            if (settings.AccessKey is null || settings.SecretKey is null)
            {
                throw new FormatException(
                    "HCP_ACCESS_KEY/S3_ACCESS_KEY_ID and HCP_SECRET_KEY/S3_SECRET_ACCESS_KEY (or their *_FILE) are required when an endpoint is set");
            }
        }

        return settings;
    }

    /// <summary>Reads the process environment and an optional <c>.env</c> file.</summary>
    public static StoreSettings BindFromProcess(string? dotEnvPath) =>
        Bind(ConfigurationSources.ProcessEnvironment(), ConfigurationSources.ReadDotEnv(dotEnvPath));

    private static CredentialSource? Credential(Dictionary<string, string> vars, params string[] names)
    {
        foreach (var name in names)
        {
            var hasValue = vars.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value);
            var hasFile = vars.TryGetValue(name + "_FILE", out var file) && !string.IsNullOrWhiteSpace(file);
            if (hasValue && hasFile)
            {
                throw new FormatException($"{name} and {name}_FILE are both set; set only one");
            }

            if (hasValue)
            {
                return CredentialSource.FromValue(value!);
            }

            if (hasFile)
            {
                return CredentialSource.FromFile(file!.Trim());
            }
        }

        return null;
    }

    private static string NormalisePrefix(string prefix)
    {
        var p = prefix.TrimStart('/');
        return p.Length == 0 || p.EndsWith('/') ? p : p + "/";
    }

    private static bool ParseBool(string? value, string name, bool fallback) => value?.ToUpperInvariant() switch
    {
        null => fallback,
        "1" or "TRUE" or "YES" or "ON" => true,
        "0" or "FALSE" or "NO" or "OFF" => false,
        _ => throw new FormatException($"{name} must be true or false"),
    };

    private static int ParseInt(string? value, string name, int fallback, int min, int max)
    {
        if (value is null)
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            throw new FormatException($"{name} must be an integer in [{min}, {max}]");
        }

        return n;
    }
}
