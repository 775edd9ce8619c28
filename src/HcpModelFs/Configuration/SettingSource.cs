namespace HcpModelFs.Configuration;

/// <summary>Where an effective value came from, lowest precedence first (design.md §8).</summary>
internal enum SettingSourceKind
{
    Default,
    File,
    DotEnv,
    Environment,
    Flag,
}

/// <summary>A source as `config show` names it: "default", "file /etc/hcpmodelfs/config.yaml", ".env", ...</summary>
internal sealed record SettingSource(SettingSourceKind Kind, string? Path = null)
{
    public static SettingSource Default { get; } = new(SettingSourceKind.Default);

    public override string ToString() => Kind switch
    {
        SettingSourceKind.File => "file " + Path,
        SettingSourceKind.DotEnv => Path is null or ".env" ? ".env" : ".env " + Path,
        SettingSourceKind.Environment => "environment",
        SettingSourceKind.Flag => "flag",
        _ => "default",
    };
}
