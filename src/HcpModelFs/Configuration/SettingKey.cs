namespace HcpModelFs.Configuration;

/// <summary>How `config show` prints a value: as it is, as the first four characters (access keys) or not at all.</summary>
internal enum SecretKind
{
    None,
    Partial,
    Hidden,
}

/// <summary>
/// One setting: its environment-variable name (also its key in the config file), the default `config show` prints
/// when no source sets it, and whether it is secret. An alias (S3_BUCKET for HCP_NAMESPACE) names the setting it is an
/// alias of; the binders take the first of a setting and its aliases that is set, in the order of <see cref="SettingKeys.All"/>.
/// </summary>
internal sealed record SettingKey(string Name, string DefaultText, SecretKind Secret = SecretKind.None, string? AliasOf = null)
{
    public bool IsAlias => AliasOf is not null;

    /// <summary>The value as it may be shown: access keys as their first four characters, secrets never.</summary>
    public string Mask(string value) => Secret switch
    {
        SecretKind.Hidden => "***",
        SecretKind.Partial => value.Length >= 8 ? value[..4] + "***" : "***",
        _ => value,
    };
}
