namespace HcpModelFs.Hub.Http;

/// <summary>Where the bytes of one pinned file are, and until when that answer may be reused.</summary>
internal sealed record FileLocation(
    Uri DataUri,
    bool OnHubHost,
    long Size,
    string ETag,
    bool IsLfs,
    string CommitSha,
    DateTimeOffset ReuseUntil);
