using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse;

/// <summary>The reply to OPEN/OPENDIR: our handle and the FOPEN_* flags (KEEP_CACHE, DIRECT_IO, CACHE_DIR...).</summary>
public readonly record struct FuseOpenReply(FileHandle Handle, FuseOpenFlags Flags);
