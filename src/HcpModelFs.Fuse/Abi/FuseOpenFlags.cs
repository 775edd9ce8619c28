namespace HcpModelFs.Fuse.Abi;

/// <summary><c>FOPEN_*</c> flags in the reply to OPEN and OPENDIR.</summary>
[Flags]
public enum FuseOpenFlags : uint
{
    None = 0,
    DirectIo = 1 << 0,
    KeepCache = 1 << 1,
    NonSeekable = 1 << 2,
    CacheDir = 1 << 3,
    Stream = 1 << 4,
    NoFlush = 1 << 5,           // 7.35
    ParallelDirectWrites = 1 << 6,
    Passthrough = 1 << 7,       // 7.40
}
