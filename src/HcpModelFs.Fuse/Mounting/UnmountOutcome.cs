namespace HcpModelFs.Fuse.Mounting;

/// <summary>What <see cref="FuseMounter.Unmount"/> did.</summary>
public enum UnmountOutcome
{
    /// <summary>Still mounted.</summary>
    Failed,

    /// <summary>Gone, and the kernel ends the connection.</summary>
    Unmounted,

    /// <summary>Gone from the namespace but busy (MNT_DETACH): open files keep the connection alive until they close.</summary>
    Detached,
}
