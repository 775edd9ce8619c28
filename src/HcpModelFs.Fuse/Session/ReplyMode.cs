namespace HcpModelFs.Fuse.Session;

/// <summary>How the dispatcher answers one opcode (fuse-protocol.md §5); go-fuse keeps the same split in opcode.go.</summary>
internal enum ReplyMode
{
    /// <summary>Never answered (FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY): a malformed one is dropped, not failed.</summary>
    None,

    /// <summary>Answered on the reader thread from local state, without copying the request.</summary>
    Inline,

    /// <summary>Copied into a pooled buffer and handed to an async handler that replies when it completes.</summary>
    Async,
}
