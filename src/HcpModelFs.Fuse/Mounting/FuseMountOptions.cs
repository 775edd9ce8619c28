namespace HcpModelFs.Fuse.Mounting;

/// <summary>How to mount. Read-only, nosuid and nodev always.</summary>
public sealed record FuseMountOptions
{
    /// <summary>Shown as the source in /proc/mounts.</summary>
    public string FsName { get; init; } = "hcpmodelfs";

    /// <summary>The type becomes fuse.&lt;subtype&gt;.</summary>
    public string Subtype { get; init; } = "hcpmodelfs";

    /// <summary>Let other users (vLLM under another uid) use the mount. Without root it needs user_allow_other in /etc/fuse.conf.</summary>
    public bool AllowOther { get; init; } = true;

    /// <summary>Let the kernel check mode bits itself, so ACCESS requests are never sent.</summary>
    public bool DefaultPermissions { get; init; } = true;

    /// <summary>Force the fusermount3 path even as root (tests of the unprivileged path).</summary>
    public bool ForceFusermount { get; init; }

    /// <summary>Create the mount point when it does not exist.</summary>
    public bool CreateMountPoint { get; init; } = true;

    public string FusermountPath { get; init; } = "fusermount3";
}
