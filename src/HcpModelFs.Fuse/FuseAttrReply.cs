namespace HcpModelFs.Fuse;

/// <summary>The reply to GETATTR: attributes and how long the kernel may keep them.</summary>
public readonly record struct FuseAttrReply(FuseAttributes Attributes, TimeSpan Timeout);
