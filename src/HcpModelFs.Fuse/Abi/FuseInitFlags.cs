namespace HcpModelFs.Fuse.Abi;

/// <summary>
/// INIT capability bits. Bits 32-63 travel in <c>flags2</c> and are only valid when <see cref="InitExt"/> is set
/// (protocol 7.36). The minor version that introduced each bit is noted where we depend on it.
/// </summary>
[Flags]
public enum FuseInitFlags : ulong
{
    None = 0,
    AsyncRead = 1UL << 0,           // 7.6
    PosixLocks = 1UL << 1,
    AtomicOTrunc = 1UL << 3,
    ExportSupport = 1UL << 4,
    BigWrites = 1UL << 5,
    DontMask = 1UL << 6,
    SpliceWrite = 1UL << 7,
    SpliceMove = 1UL << 8,
    SpliceRead = 1UL << 9,
    FlockLocks = 1UL << 10,
    HasIoctlDir = 1UL << 11,
    AutoInvalData = 1UL << 12,
    DoReaddirplus = 1UL << 13,      // 7.21
    ReaddirplusAuto = 1UL << 14,    // 7.21
    AsyncDio = 1UL << 15,           // 7.22
    WritebackCache = 1UL << 16,
    NoOpenSupport = 1UL << 17,
    ParallelDirops = 1UL << 18,     // 7.25
    HandleKillpriv = 1UL << 19,
    PosixAcl = 1UL << 20,
    AbortError = 1UL << 21,         // 7.27
    MaxPages = 1UL << 22,           // 7.28
    CacheSymlinks = 1UL << 23,      // 7.28
    NoOpendirSupport = 1UL << 24,
    ExplicitInvalData = 1UL << 25,  // 7.30
    MapAlignment = 1UL << 26,
    Submounts = 1UL << 27,
    HandleKillprivV2 = 1UL << 28,
    SetxattrExt = 1UL << 29,
    InitExt = 1UL << 30,            // 7.36
    InitReserved = 1UL << 31,
    SecurityCtx = 1UL << 32,
    HasInodeDax = 1UL << 33,
    CreateSuppGroup = 1UL << 34,
    HasExpireOnly = 1UL << 35,      // 7.38
    DirectIoAllowMmap = 1UL << 36,  // 7.39
    Passthrough = 1UL << 37,        // 7.40
    NoExportSupport = 1UL << 38,
    HasResend = 1UL << 39,
    AllowIdmap = 1UL << 40,
    OverIoUring = 1UL << 41,
    RequestTimeout = 1UL << 42,
}
