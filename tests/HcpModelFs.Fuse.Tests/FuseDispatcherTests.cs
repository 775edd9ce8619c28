using System.Buffers.Binary;
using System.Text;
using HcpModelFs.Fuse.Abi;
using HcpModelFs.Fuse.Session;
using Microsoft.Extensions.Logging.Abstractions;

namespace HcpModelFs.Fuse.Tests;

/// <summary>
/// The session's byte-level core against literal request bytes and a capturing sink: every handled opcode parses
/// correctly and every reply is byte-exact to the layouts in fuse-protocol.md §6 (offsets written out by hand here,
/// independently of our struct definitions).
/// </summary>
public sealed class FuseDispatcherTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private readonly RecordingFileSystem _fs = new();
    private readonly CapturingSink _sink = new();
    private readonly BufferPool _pool = new();
    private readonly FuseDispatcher _dispatcher;

    public FuseDispatcherTests()
    {
        _dispatcher = new FuseDispatcher(_fs, new FuseSessionOptions(), NullLogger.Instance, _pool);
    }

    [Fact]
    public async Task Init_from_a_6_18_kernel_grants_the_recommended_flags_and_replies_64_bytes()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);

        var reply = _sink.Single();
        Assert.Equal((80u, 0, 2ul), CapturingSink.Header(reply));
        var body = reply.AsSpan(16);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(body));                 // major
        Assert.Equal(FuseConstants.KernelMinor, BinaryPrimitives.ReadUInt32LittleEndian(body[4..]));
        Assert.Equal(131072u, BinaryPrimitives.ReadUInt32LittleEndian(body[8..]));       // max_readahead echoed
        Assert.Equal(0x42E4E001u, BinaryPrimitives.ReadUInt32LittleEndian(body[12..]));  // flags (spec §4)
        Assert.Equal(128, BinaryPrimitives.ReadUInt16LittleEndian(body[16..]));          // max_background
        Assert.Equal(96, BinaryPrimitives.ReadUInt16LittleEndian(body[18..]));           // congestion_threshold
        Assert.Equal(128u * 1024, BinaryPrimitives.ReadUInt32LittleEndian(body[20..]));  // max_write
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(body[24..]));           // time_gran
        Assert.Equal(256, BinaryPrimitives.ReadUInt16LittleEndian(body[28..]));          // max_pages
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(body[32..]));           // flags2: no passthrough asked
        Assert.True(body[36..].ToArray().All(b => b == 0));
        Assert.Equal(1 << 20, _dispatcher.Connection!.MaxReadSize);
    }

    [Fact]
    public async Task Init_only_grants_what_the_kernel_offers()
    {
        // An old kernel offering only ASYNC_READ and DO_READDIRPLUS, no MAX_PAGES: READs stay at 32 pages.
        await _dispatcher.DispatchAsync(RequestBuilder.Init(minor: 22, flags: 0x1 | 0x2000, flags2: 0), _sink);
        var reply = _sink.Single();
        Assert.Equal(16u + 24, CapturingSink.Header(reply).Len); // pre-7.23 compat size
        Assert.Equal(0x2001u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16 + 12)));
        Assert.Equal(22u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16 + 4)));
        Assert.Equal(32 * 4096, _dispatcher.Connection!.MaxReadSize);
    }

    [Fact]
    public async Task Init_with_a_newer_major_answers_major_only_and_waits_for_a_second_init()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(major: 8), _sink);
        var reply = _sink.Single();
        Assert.Equal((24u, 0, 2ul), CapturingSink.Header(reply));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16)));
        Assert.Null(_dispatcher.Connection);
    }

    [Fact]
    public async Task Init_with_an_older_major_is_a_protocol_error()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Init(major: 6), _sink);
        Assert.Equal((16u, -71, 2ul), CapturingSink.Header(_sink.Single()));
    }

    [Fact]
    public async Task A_request_before_init_gets_eio()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetAttr, 4, 1, new byte[16]), _sink);
        Assert.Equal((16u, -5, 4ul), CapturingSink.Header(_sink.Single()));
        Assert.Empty(_fs.Calls);
    }

    [Fact]
    public async Task Lookup_literal_bytes_parse_and_the_entry_reply_is_byte_exact()
    {
        await InitAsync();
        byte[] request =
        [
            0x2E, 0, 0, 0, 0x01, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0,
            0xE8, 0x03, 0, 0, 0xE9, 0x03, 0, 0, 0x92, 0x10, 0, 0, 0, 0, 0, 0,
            (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', 0,
        ];
        await _dispatcher.DispatchAsync(request, _sink);

        Assert.Equal("lookup 1 hello uid=1000 gid=1001 pid=4242", Assert.Single(_fs.Calls));
        var expected = new byte[16 + 128];
        var e = expected.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(e, 144);
        BinaryPrimitives.WriteUInt64LittleEndian(e[8..], 0x10);
        var o = e[16..];
        BinaryPrimitives.WriteUInt64LittleEndian(o, 5);                 // nodeid
        BinaryPrimitives.WriteUInt64LittleEndian(o[8..], 3);            // generation
        BinaryPrimitives.WriteUInt64LittleEndian(o[16..], 7);           // entry_valid
        BinaryPrimitives.WriteUInt64LittleEndian(o[24..], 9);           // attr_valid
        BinaryPrimitives.WriteUInt32LittleEndian(o[32..], 250_000_000); // entry_valid_nsec
        BinaryPrimitives.WriteUInt32LittleEndian(o[36..], 0);           // attr_valid_nsec
        WriteExpectedAttr(o[40..], ino: 5, size: 4097, mode: 0x8124, nlink: 1, blksize: 1 << 20);
        Assert.Equal(expected, _sink.Single());
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Lookup_of_a_missing_name_is_enoent_header_only()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 6, 1, "nope\0"u8), _sink);
        Assert.Equal([16, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 6, 0, 0, 0, 0, 0, 0, 0], _sink.Single());
    }

    [Fact]
    public async Task Negative_entry_is_a_success_with_node_zero_and_a_timeout()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 6, 1, "negative\0"u8), _sink);
        var reply = _sink.Single();
        Assert.Equal((144u, 0, 6ul), CapturingSink.Header(reply));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(16)));
        Assert.Equal(2ul, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(16 + 16)));
    }

    [Fact]
    public async Task Getattr_with_a_file_handle_passes_it_and_replies_attr_out_byte_exact()
    {
        await InitAsync();
        var body = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(body, 1); // FUSE_GETATTR_FH
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(8), 77);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetAttr, 8, 12, body), _sink);

        Assert.Equal("getattr 12 fh=77", Assert.Single(_fs.Calls));
        var expected = new byte[16 + 104];
        BinaryPrimitives.WriteUInt32LittleEndian(expected, 120);
        BinaryPrimitives.WriteUInt64LittleEndian(expected.AsSpan(8), 8);
        BinaryPrimitives.WriteUInt64LittleEndian(expected.AsSpan(16), 1);                 // attr_valid
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(24), 500_000_000);       // attr_valid_nsec
        WriteExpectedAttr(expected.AsSpan(32), ino: 12, size: 0, mode: 0x416D, nlink: 2, blksize: 4096);
        Assert.Equal(expected, _sink.Single());
    }

    [Theory]
    [InlineData(1)]      // O_WRONLY
    [InlineData(2)]      // O_RDWR
    [InlineData(0x200)]  // O_TRUNC
    public async Task Open_for_writing_is_erofs_without_asking_the_filesystem(int flags)
    {
        await InitAsync();
        var body = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(body, flags);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Open, 10, 5, body), _sink);
        Assert.Equal((16u, -30, 10ul), CapturingSink.Header(_sink.Single()));
        Assert.Empty(_fs.Calls);
    }

    [Fact]
    public async Task Open_read_only_replies_open_out_with_handle_and_keep_cache()
    {
        await InitAsync();
        var body = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(body, 0x8000);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Open, 10, 5, body), _sink);
        Assert.Equal("open 5 flags=8000", Assert.Single(_fs.Calls));
        Assert.Equal(
            [32, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
            _sink.Single());
    }

    [Fact]
    public async Task Read_parses_handle_offset_and_size_and_replies_with_exactly_the_bytes_read()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 12, 5, RequestBuilder.ReadIn(77, 3_000_000_000, 4096)), _sink);
        Assert.Equal("read 5 fh=77 off=3000000000 size=4096", Assert.Single(_fs.Calls));
        var reply = _sink.Single();
        Assert.Equal((16u + 4096, 0, 12ul), CapturingSink.Header(reply));
        Assert.Equal(unchecked((byte)3_000_000_000), reply[16]);
        Assert.Equal(unchecked((byte)(3_000_000_000 + 4095)), reply[^1]);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Read_that_reports_more_bytes_than_asked_fails_with_eio()
    {
        await InitAsync();
        _fs.ReadBehaviour = _ => ValueTask.FromResult<FuseResult<int>>(5000);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 12, 5, RequestBuilder.ReadIn(77, 0, 4096)), _sink);
        Assert.Equal((16u, -5, 12ul), CapturingSink.Header(_sink.Single()));
    }

    [Fact]
    public async Task Readdir_records_are_byte_exact_and_resume_after_a_cookie()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ReadDir, 14, 1, RequestBuilder.ReadIn(9, 0, 4096)), _sink);
        var reply = _sink.Single();
        // "a": 24 + 1 -> 32 bytes; "bcdefghij": 24 + 9 -> 40 bytes.
        Assert.Equal(16u + 32 + 40, CapturingSink.Header(reply).Len);
        var first = reply.AsSpan(16, 32);
        Assert.Equal(10ul, BinaryPrimitives.ReadUInt64LittleEndian(first));          // ino
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(first[8..]));      // off (cookie after it)
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(first[16..]));      // namelen
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(first[20..]));      // DT_REG
        Assert.Equal((byte)'a', first[24]);
        Assert.True(first[25..].ToArray().All(b => b == 0));                       // zero padding
        var second = reply.AsSpan(48, 40);
        Assert.Equal(2ul, BinaryPrimitives.ReadUInt64LittleEndian(second[8..]));
        Assert.Equal("bcdefghij", Encoding.ASCII.GetString(second.Slice(24, 9)));

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ReadDir, 16, 1, RequestBuilder.ReadIn(9, 1, 4096)), _sink);
        Assert.Equal(16u + 40, CapturingSink.Header(_sink.Messages[1]).Len);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ReadDir, 18, 1, RequestBuilder.ReadIn(9, 2, 4096)), _sink);
        Assert.Equal((16u, 0, 18ul), CapturingSink.Header(_sink.Messages[2])); // end of directory
    }

    [Fact]
    public async Task Readdirplus_records_carry_entry_out_then_dirent()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ReadDirPlus, 14, 1, RequestBuilder.ReadIn(9, 0, 4096)), _sink);
        Assert.Equal("readdirplus 1 fh=9 off=0", Assert.Single(_fs.Calls));
        var reply = _sink.Single();
        // (152 + 1 + 7) & ~7 = 160; (152 + 9 + 7) & ~7 = 168.
        Assert.Equal(16u + 160 + 168, CapturingSink.Header(reply).Len);
        var first = reply.AsSpan(16, 160);
        Assert.Equal(10ul, BinaryPrimitives.ReadUInt64LittleEndian(first));           // entry_out.nodeid
        Assert.Equal(10ul, BinaryPrimitives.ReadUInt64LittleEndian(first[40..]));     // entry_out.attr.ino
        Assert.Equal(10ul, BinaryPrimitives.ReadUInt64LittleEndian(first[128..]));    // dirent.ino
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(first[136..]));     // dirent.off
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(first[144..]));      // dirent.namelen
        Assert.Equal((byte)'a', first[152]);
    }

    [Fact]
    public async Task Readdir_into_a_tiny_buffer_sends_only_whole_records()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ReadDir, 14, 1, RequestBuilder.ReadIn(9, 0, 50)), _sink);
        Assert.Equal(16u + 32, CapturingSink.Header(_sink.Single()).Len);
    }

    [Fact]
    public async Task Release_calls_the_filesystem_and_replies_empty()
    {
        await InitAsync();
        var body = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(body, 77);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Release, 20, 5, body), _sink);
        Assert.Equal("release 5 fh=77", Assert.Single(_fs.Calls));
        Assert.Equal((16u, 0, 20ul), CapturingSink.Header(_sink.Single()));
    }

    [Fact]
    public async Task Statfs_replies_kstatfs_of_80_bytes()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.StatFs, 22, 1, []), _sink);
        var reply = _sink.Single();
        Assert.Equal(16u + 80, CapturingSink.Header(reply).Len);
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16 + 40))); // bsize
        Assert.Equal(255u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16 + 44)));  // namelen
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16 + 48))); // frsize
    }

    [Fact]
    public async Task Getxattr_size_probe_value_erange_and_missing()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetXAttr, 24, 5, XAttrBody(0, "user.sha256")), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetXAttr, 26, 5, XAttrBody(64, "user.sha256")), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetXAttr, 28, 5, XAttrBody(3, "user.sha256")), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetXAttr, 30, 5, XAttrBody(64, "user.other")), _sink);

        var replies = _sink.Messages;
        Assert.Equal([24, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0], replies[0]); // getxattr_out{6}
        Assert.Equal("abcdef", Encoding.ASCII.GetString(replies[1].AsSpan(16)));
        Assert.Equal(-34, CapturingSink.Header(replies[2]).Error); // ERANGE
        Assert.Equal(-61, CapturingSink.Header(replies[3]).Error); // ENODATA
    }

    [Fact]
    public async Task Forget_and_batch_forget_reach_the_filesystem_and_get_no_reply()
    {
        await InitAsync();
        var forget = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(forget, 3);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Forget, 32, 5, forget), _sink);
        var batch = new byte[8 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(batch, 2);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(8), 6);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(16), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(24), 7);
        BinaryPrimitives.WriteUInt64LittleEndian(batch.AsSpan(32), 4);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.BatchForget, 34, 0, batch), _sink);

        Assert.Equal([(5ul, 3ul), (6ul, 1ul), (7ul, 4ul)], _fs.Forgets);
        Assert.Empty(_sink.Messages);
    }

    [Fact]
    public async Task Interrupt_cancels_the_handler_which_answers_eintr_and_the_interrupt_itself_gets_no_reply()
    {
        await InitAsync();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _fs.ReadBehaviour = async ct =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return 0;
        };
        var read = _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 40, 5, RequestBuilder.ReadIn(77, 0, 4096)), _sink);
        await entered.Task.WaitAsync(Bounded);
        Assert.Empty(_sink.Messages);

        var interrupt = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(interrupt, 40);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Interrupt, 41, 0, interrupt), _sink);
        await read.WaitAsync(Bounded);

        Assert.Equal((16u, -4, 40ul), CapturingSink.Header(_sink.Single()));
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Replies_leave_in_completion_order_not_request_order()
    {
        await InitAsync();
        var release = new TaskCompletionSource<FuseResult<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _fs.ReadBehaviour = _ => new ValueTask<FuseResult<int>>(release.Task);
        var slow = _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 50, 5, RequestBuilder.ReadIn(77, 0, 16)), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.StatFs, 52, 1, []), _sink);
        release.SetResult(16);
        await slow.WaitAsync(Bounded);

        Assert.Equal([52ul, 50ul], _sink.Messages.Select(m => CapturingSink.Header(m).Unique));
    }

    [Fact]
    public async Task A_throwing_handler_yields_eio_once()
    {
        await InitAsync();
        _fs.ThrowOnLookup = new InvalidOperationException("boom");
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 60, 1, "x\0"u8), _sink);
        Assert.Equal((16u, -5, 60ul), CapturingSink.Header(_sink.Single()));
        Assert.Equal(0, _dispatcher.Pending);
    }

    [Theory]
    [InlineData(FuseOpcode.SetAttr)]
    [InlineData(FuseOpcode.Symlink)]
    [InlineData(FuseOpcode.MkNod)]
    [InlineData(FuseOpcode.MkDir)]
    [InlineData(FuseOpcode.Unlink)]
    [InlineData(FuseOpcode.RmDir)]
    [InlineData(FuseOpcode.Rename)]
    [InlineData(FuseOpcode.Link)]
    [InlineData(FuseOpcode.Write)]
    [InlineData(FuseOpcode.SetXAttr)]
    [InlineData(FuseOpcode.RemoveXAttr)]
    [InlineData(FuseOpcode.Create)]
    [InlineData(FuseOpcode.FAllocate)]
    [InlineData(FuseOpcode.Rename2)]
    [InlineData(FuseOpcode.CopyFileRange)]
    [InlineData(FuseOpcode.TmpFile)]
    public async Task Write_type_opcodes_answer_erofs(FuseOpcode opcode)
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(opcode, 70, 5, new byte[64]), _sink);
        Assert.Equal((16u, -30, 70ul), CapturingSink.Header(_sink.Single()));
        Assert.Empty(_fs.Calls);
    }

    [Theory]
    [InlineData(FuseOpcode.Flush)]
    [InlineData(FuseOpcode.FSync)]
    [InlineData(FuseOpcode.FSyncDir)]
    [InlineData(FuseOpcode.Access)]
    [InlineData(FuseOpcode.LSeek)]
    [InlineData(FuseOpcode.Poll)]
    [InlineData(FuseOpcode.Statx)]
    [InlineData(FuseOpcode.SyncFs)]
    [InlineData((FuseOpcode)999)]
    public async Task Unimplemented_opcodes_answer_enosys(FuseOpcode opcode)
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(opcode, 72, 5, new byte[64]), _sink);
        Assert.Equal((16u, -38, 72ul), CapturingSink.Header(_sink.Single()));
    }

    [Theory]
    [InlineData(FuseOpcode.GetAttr, 15)]
    [InlineData(FuseOpcode.Open, 7)]
    [InlineData(FuseOpcode.OpenDir, 7)]
    [InlineData(FuseOpcode.Read, 39)]
    [InlineData(FuseOpcode.ReadDir, 39)]
    [InlineData(FuseOpcode.ReadDirPlus, 39)]
    [InlineData(FuseOpcode.Release, 23)]
    [InlineData(FuseOpcode.ReleaseDir, 23)]
    [InlineData(FuseOpcode.GetXAttr, 7)]
    [InlineData(FuseOpcode.ListXAttr, 7)]
    public async Task A_body_shorter_than_the_opcode_minimum_is_einval_without_asking_the_filesystem(FuseOpcode opcode, int length)
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(opcode, 90, 5, new byte[length]), _sink);
        Assert.Equal((16u, -22, 90ul), CapturingSink.Header(_sink.Single()));
        Assert.Empty(_fs.Calls);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Init_shorter_than_the_7_0_layout_is_einval()
    {
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Init, 2, 0, new byte[15]), _sink);
        Assert.Equal((16u, -22, 2ul), CapturingSink.Header(_sink.Single()));
        Assert.Null(_dispatcher.Connection);
    }

    [Theory]
    [InlineData(FuseOpcode.Forget)]
    [InlineData(FuseOpcode.BatchForget)]
    [InlineData(FuseOpcode.Interrupt)]
    public async Task Malformed_requests_that_are_never_answered_are_dropped_without_a_reply(FuseOpcode opcode)
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(opcode, 92, 5, new byte[7]), _sink);
        Assert.Empty(_sink.Messages);
        Assert.Empty(_fs.Forgets);
    }

    [Fact]
    public async Task Destroy_is_answered_with_an_empty_reply()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Destroy, 94, 0, []), _sink);
        Assert.Equal((16u, 0, 94ul), CapturingSink.Header(_sink.Single()));
    }

    [Fact]
    public async Task Init_grants_passthrough_with_max_stack_depth_1_when_offered_and_backing_files_can_be_registered()
    {
        var device = new FakeBackingDevice();
        var dispatcher = new FuseDispatcher(_fs, new FuseSessionOptions(), NullLogger.Instance, _pool);
        dispatcher.SetBackingDevice(device);
        await dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);

        var body = _sink.Single().AsSpan(16);
        Assert.Equal(0x42E4E001u, BinaryPrimitives.ReadUInt32LittleEndian(body[12..]));  // flags unchanged
        Assert.Equal(0x20u, BinaryPrimitives.ReadUInt32LittleEndian(body[32..]));        // flags2: PASSTHROUGH (1 << 37)
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(body[36..]));           // max_stack_depth
        Assert.True(body[40..].ToArray().All(b => b == 0));                            // request_timeout, unused
        var connection = dispatcher.Connection!;
        Assert.True(connection.Passthrough);
        Assert.Same(connection, _fs.Connection);
        Assert.True(connection.BackingFiles.IsAvailable);
        Assert.Equal(3, connection.BackingFiles.Open(new Microsoft.Win32.SafeHandles.SafeFileHandle(42, false)).Value);
        Assert.Equal(["open fd=42"], device.Calls);
    }

    [Fact]
    public async Task Init_does_not_ask_for_passthrough_when_the_options_turn_it_off()
    {
        var dispatcher = new FuseDispatcher(_fs, new FuseSessionOptions { Passthrough = false }, NullLogger.Instance, _pool);
        dispatcher.SetBackingDevice(new FakeBackingDevice());
        await dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);

        var body = _sink.Single().AsSpan(16);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(body[32..]));           // flags2
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(body[36..]));           // max_stack_depth
        Assert.False(dispatcher.Connection!.Passthrough);
        Assert.False(dispatcher.Connection.BackingFiles.IsAvailable);
        Assert.Equal(Errno.ENOSYS, dispatcher.Connection.BackingFiles.Open(new Microsoft.Win32.SafeHandles.SafeFileHandle(42, false)).Error);
    }

    [Fact]
    public async Task Init_does_not_grant_passthrough_that_the_kernel_does_not_offer()
    {
        var dispatcher = new FuseDispatcher(_fs, new FuseSessionOptions(), NullLogger.Instance, _pool);
        dispatcher.SetBackingDevice(new FakeBackingDevice());
        await dispatcher.DispatchAsync(RequestBuilder.Init(flags2: 0x5fd & ~0x20u), _sink); // a kernel without CONFIG_FUSE_PASSTHROUGH

        var body = _sink.Single().AsSpan(16);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(body[32..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(body[36..]));
        Assert.False(dispatcher.Connection!.Passthrough);
        Assert.False(dispatcher.Connection.BackingFiles.IsAvailable);
    }

    [Fact]
    public async Task Open_reply_with_a_backing_id_sets_passthrough_drops_keep_cache_and_carries_the_id_byte_exact()
    {
        await InitAsync();
        _fs.OpenReply = new FuseOpenReply(new FileHandle(77), FuseOpenFlags.KeepCache | FuseOpenFlags.NoFlush, BackingId: 0x01020304);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Open, 10, 5, new byte[8]), _sink);
        Assert.Equal(
            [
                32, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0,
                77, 0, 0, 0, 0, 0, 0, 0,    // fh
                0x80 | 0x20, 0, 0, 0,       // open_flags: FOPEN_PASSTHROUGH | FOPEN_NOFLUSH, KEEP_CACHE gone
                4, 3, 2, 1,                 // backing_id
            ],
            _sink.Single());
    }

    [Fact]
    public async Task Open_and_opendir_replies_without_a_backing_id_never_carry_the_passthrough_flag()
    {
        await InitAsync();
        _fs.OpenReply = new FuseOpenReply(new FileHandle(77), FuseOpenFlags.KeepCache | FuseOpenFlags.Passthrough);
        _fs.OpenDirReply = new FuseOpenReply(new FileHandle(9), FuseOpenFlags.CacheDir, BackingId: 5);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Open, 10, 5, new byte[8]), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.OpenDir, 12, 1, new byte[8]), _sink);
        Assert.Equal((2u, 0), (BinaryPrimitives.ReadUInt32LittleEndian(_sink.Messages[0].AsSpan(24)), BinaryPrimitives.ReadInt32LittleEndian(_sink.Messages[0].AsSpan(28))));
        Assert.Equal((8u, 0), (BinaryPrimitives.ReadUInt32LittleEndian(_sink.Messages[1].AsSpan(24)), BinaryPrimitives.ReadInt32LittleEndian(_sink.Messages[1].AsSpan(28))));
    }

    [Fact]
    public async Task Request_counts_count_every_request_by_opcode()
    {
        await InitAsync();
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 12, 5, RequestBuilder.ReadIn(77, 0, 16)), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 14, 5, RequestBuilder.ReadIn(77, 16, 16)), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 16, 1, "nope\0"u8), _sink);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Flush, 18, 5, new byte[24]), _sink);

        Assert.Equal(2, _dispatcher.RequestCount(FuseOpcode.Read));
        Assert.Equal(0, _dispatcher.RequestCount(FuseOpcode.Open));
        Assert.Equal(0, _dispatcher.RequestCount((FuseOpcode)999));
        Assert.Equal(
            [(FuseOpcode.Lookup, 1L), (FuseOpcode.Read, 2L), (FuseOpcode.Flush, 1L), (FuseOpcode.Init, 1L)],
            _dispatcher.SnapshotRequestCounts().Select(p => (p.Key, p.Value)));
    }

    [Fact]
    public async Task Base_filesystem_defaults_are_enosys_for_xattrs_and_readlink()
    {
        var dispatcher = new FuseDispatcher(new EmptyFileSystem(), new FuseSessionOptions(), NullLogger.Instance, _pool);
        await dispatcher.DispatchAsync(RequestBuilder.Init(), _sink);
        await dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.GetXAttr, 80, 1, XAttrBody(0, "security.selinux")), _sink);
        await dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ListXAttr, 82, 1, new byte[8]), _sink);
        await dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.ReadLink, 84, 1, []), _sink);
        await dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 86, 1, "x\0"u8), _sink);
        Assert.All(_sink.Messages.Skip(1), m => Assert.Equal(-38, CapturingSink.Header(m).Error));
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task Cancel_all_answers_every_pending_request_and_drains()
    {
        await InitAsync();
        _fs.ReadBehaviour = async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return 0;
        };
        var reads = Enumerable.Range(0, 5)
            .Select(i => _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 100 + (ulong)(2 * i), 5, RequestBuilder.ReadIn(77, 0, 4096)), _sink))
            .ToList();
        Assert.Equal(5, _dispatcher.Pending);

        Assert.True(await _dispatcher.CancelAllAsync(Bounded));
        await Task.WhenAll(reads).WaitAsync(Bounded);
        Assert.Equal(5, _sink.Messages.Count(m => CapturingSink.Header(m).Error == -4));
        Assert.Equal(0, _dispatcher.Pending);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task After_cancel_all_new_requests_are_refused_with_EIO_at_once_but_RELEASE_still_runs()
    {
        await InitAsync();
        _fs.ReadBehaviour = async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return 0;
        };
        Assert.True(await _dispatcher.CancelAllAsync(Bounded));
        Assert.True(_dispatcher.Stopping);

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Read, 200, 5, RequestBuilder.ReadIn(77, 0, 4096)), _sink).WaitAsync(Bounded);
        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Lookup, 202, 1, "x\0"u8), _sink).WaitAsync(Bounded);
        Assert.Equal(-5, CapturingSink.Header(_sink.Messages[^2]).Error);
        Assert.Equal(-5, CapturingSink.Header(_sink.Messages[^1]).Error);
        Assert.Equal(0, _dispatcher.Pending);

        await _dispatcher.DispatchAsync(RequestBuilder.Build(FuseOpcode.Release, 204, 5, new byte[24]), _sink).WaitAsync(Bounded);
        Assert.Equal(0, CapturingSink.Header(_sink.Messages[^1]).Error);
        Assert.Equal(0, _pool.Outstanding);
    }

    private static byte[] XAttrBody(uint size, string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var body = new byte[8 + nameBytes.Length + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(body, size);
        nameBytes.CopyTo(body.AsSpan(8));
        return body;
    }

    private static void WriteExpectedAttr(Span<byte> a, ulong ino, ulong size, uint mode, uint nlink, uint blksize)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(a, ino);
        BinaryPrimitives.WriteUInt64LittleEndian(a[8..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(a[16..], (size + 511) / 512);
        BinaryPrimitives.WriteUInt64LittleEndian(a[24..], 1_700_000_000); // atime
        BinaryPrimitives.WriteUInt64LittleEndian(a[32..], 1_700_000_000); // mtime
        BinaryPrimitives.WriteUInt64LittleEndian(a[40..], 1_700_000_000); // ctime
        BinaryPrimitives.WriteUInt32LittleEndian(a[48..], 500);           // atimensec (5 ticks)
        BinaryPrimitives.WriteUInt32LittleEndian(a[52..], 500);
        BinaryPrimitives.WriteUInt32LittleEndian(a[56..], 500);
        BinaryPrimitives.WriteUInt32LittleEndian(a[60..], mode);
        BinaryPrimitives.WriteUInt32LittleEndian(a[64..], nlink);
        BinaryPrimitives.WriteUInt32LittleEndian(a[80..], blksize);       // uid, gid, rdev = 0 at 68..79
    }

    private Task InitAsync()
    {
        var sink = new CapturingSink();
        return _dispatcher.DispatchAsync(RequestBuilder.Init(), sink);
    }

    private sealed class EmptyFileSystem : FuseFileSystemBase;
}
