using HcpModelFs.Fuse.Abi;

namespace HcpModelFs.Fuse.Session;

/*
 * The opcode table (go-fuse's fuse/opcode.go): per opcode, the smallest body the kernel can legally send, whether it
 * is answered at all, inline on the reader thread or by an async handler, and the handler. DispatchAsync is a lookup
 * in this table; an opcode not listed answers ENOSYS, which the kernel remembers for most, so each is asked once.
 */
public sealed partial class FuseDispatcher
{
    /// <summary>Opcodes are small and dense (1..53 in 7.45); one slot each keeps the lookup an index.</summary>
    internal const int OpcodeSlots = 64;

    private static readonly OpcodeEntry Unimplemented = new(0, ReplyMode.Inline, Inline: static (d, s, h, _) => d.ReplyError(s, h, Errno.ENOSYS));

    // A read-only filesystem refuses every write-type operation with EROFS (ENOSYS would make the kernel fall back,
    // e.g. CREATE -> MKNOD). With a ro mount the VFS answers these itself; this covers other mounts.
    private static readonly OpcodeEntry ReadOnly = new(0, ReplyMode.Inline, Inline: static (d, s, h, _) => d.ReplyError(s, h, Errno.EROFS));

    private static readonly OpcodeEntry[] Opcodes = BuildOpcodeTable();

    internal static OpcodeEntry EntryFor(uint opcode) => opcode < OpcodeSlots ? Opcodes[opcode] : Unimplemented;

    private static OpcodeEntry[] BuildOpcodeTable()
    {
        var table = new OpcodeEntry[OpcodeSlots];
        Array.Fill(table, Unimplemented);

        void Set(FuseOpcode opcode, OpcodeEntry entry) => table[(int)opcode] = entry;

        // Session control and reference counting: inline, never waits on the filesystem.
        Set(FuseOpcode.Init, new(FuseInitIn.CompatSize, ReplyMode.Inline, Inline: static (d, s, h, b) => d.HandleInit(s, h, b)));
        Set(FuseOpcode.Destroy, new(0, ReplyMode.Inline, Inline: static (d, s, h, _) => d.ReplyEmpty(s, h)));
        Set(FuseOpcode.Forget, new(FuseForgetIn.Size, ReplyMode.None, Inline: static (d, _, h, b) => d.HandleForget(h, b)));
        Set(FuseOpcode.BatchForget, new(FuseBatchForgetIn.Size, ReplyMode.None, Inline: static (d, _, _, b) => d.HandleBatchForget(b)));
        Set(FuseOpcode.Interrupt, new(FuseInterruptIn.Size, ReplyMode.None, Inline: static (d, _, _, b) => d.HandleInterrupt(b)));
        Set(FuseOpcode.NotifyReply, new(0, ReplyMode.None, Inline: static (_, _, _, _) => { }));

        foreach (var write in (ReadOnlySpan<FuseOpcode>)
        [
            FuseOpcode.SetAttr, FuseOpcode.Symlink, FuseOpcode.MkNod, FuseOpcode.MkDir, FuseOpcode.Unlink, FuseOpcode.RmDir,
            FuseOpcode.Rename, FuseOpcode.Link, FuseOpcode.Write, FuseOpcode.SetXAttr, FuseOpcode.RemoveXAttr, FuseOpcode.Create,
            FuseOpcode.FAllocate, FuseOpcode.Rename2, FuseOpcode.CopyFileRange, FuseOpcode.CopyFileRange64, FuseOpcode.TmpFile,
        ])
        {
            Set(write, ReadOnly);
        }

        // The filesystem's operations: async, each replies exactly once when it completes.
        Set(FuseOpcode.Lookup, new(0, ReplyMode.Async, Async: static (d, r, ct) => d.LookupAsync(r, ct)));
        Set(FuseOpcode.GetAttr, new(FuseGetAttrIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.GetAttrAsync(r, ct)));
        Set(FuseOpcode.Open, new(FuseOpenIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.OpenAsync(r, ct), Gate: RejectWriteOpens));
        Set(FuseOpcode.Read, new(FuseReadIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.ReadAsync(r, ct)));
        Set(FuseOpcode.Release, new(FuseReleaseIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.ReleaseAsync(r, directory: false, ct)));
        Set(FuseOpcode.OpenDir, new(FuseOpenIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.OpenDirAsync(r, ct)));
        Set(FuseOpcode.ReadDir, new(FuseReadIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.ReadDirAsync(r, plus: false, ct)));
        Set(FuseOpcode.ReadDirPlus, new(FuseReadIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.ReadDirAsync(r, plus: true, ct)));
        Set(FuseOpcode.ReleaseDir, new(FuseReleaseIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.ReleaseAsync(r, directory: true, ct)));
        Set(FuseOpcode.StatFs, new(0, ReplyMode.Async, Async: static (d, r, ct) => d.StatFsAsync(r, ct)));
        Set(FuseOpcode.ReadLink, new(0, ReplyMode.Async, Async: static (d, r, ct) => d.ReadLinkAsync(r, ct)));
        Set(FuseOpcode.GetXAttr, new(FuseGetXAttrIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.XAttrAsync(r, list: false, ct)));
        Set(FuseOpcode.ListXAttr, new(FuseGetXAttrIn.Size, ReplyMode.Async, Async: static (d, r, ct) => d.XAttrAsync(r, list: true, ct)));
        return table;
    }
}
