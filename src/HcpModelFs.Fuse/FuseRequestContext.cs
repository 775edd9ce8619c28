namespace HcpModelFs.Fuse;

/// <summary>Who asked: the caller's fsuid, fsgid and thread-group id (0 for kernel-originated requests).</summary>
public readonly record struct FuseRequestContext(ulong Unique, uint Uid, uint Gid, uint Pid);
