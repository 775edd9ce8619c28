namespace HcpModelFs.Fuse.Mounting;

/// <summary>One line of /proc/self/mountinfo, the fields we use.</summary>
public sealed record MountInfoEntry(int Major, int Minor, string MountPoint, string FileSystemType, string Source);
