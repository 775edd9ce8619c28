using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse;

/// <summary>The reply to OPEN/OPENDIR: our handle and the FOPEN_* flags (KEEP_CACHE, DIRECT_IO, CACHE_DIR...).</summary>
/// <param name="Handle">Our handle; it comes back in READ and RELEASE.</param>
/// <param name="Flags">FOPEN_* flags. <see cref="FuseOpenFlags.Passthrough"/> is set by the session, not here.</param>
/// <param name="BackingId">
/// Non-zero (OPEN only): serve this open by passthrough from the file registered with
/// <see cref="IFuseBackingFiles.Open"/>. The session then sends FOPEN_PASSTHROUGH with this id and keeps only the flags
/// the kernel allows with it (DIRECT_IO, PARALLEL_DIRECT_WRITES, NOFLUSH); KEEP_CACHE and the other caching flags are
/// dropped, because the kernel fails the user's open() with EIO when they come with passthrough, and they are
/// meaningless there anyway: the backing file's page cache is used. See <see cref="IFuseBackingFiles"/> for the rules
/// on mixing passthrough and cached opens of one inode and on when the id may be closed. Ignored for OPENDIR.
/// </param>
public readonly record struct FuseOpenReply(FileHandle Handle, FuseOpenFlags Flags, int BackingId = 0);
