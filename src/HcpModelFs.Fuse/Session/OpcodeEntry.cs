namespace HcpModelFs.Fuse.Session;

/// <summary>
/// One row of the dispatcher's opcode table. A body shorter than <see cref="MinBodySize"/> is malformed and answered
/// EINVAL (or dropped, for <see cref="ReplyMode.None"/>) before any handler sees it, so handlers read their input struct
/// unconditionally. <see cref="Gate"/> lets an async opcode be refused inline (OPEN for writing) without the copy.
/// </summary>
internal readonly record struct OpcodeEntry(
    int MinBodySize,
    ReplyMode Mode,
    Action<FuseDispatcher, IFuseReplySink, Abi.FuseInHeader, ReadOnlySpan<byte>>? Inline = null,
    Func<FuseDispatcher, RequestState, CancellationToken, Task>? Async = null,
    Func<ReadOnlySpan<byte>, Errno>? Gate = null);
