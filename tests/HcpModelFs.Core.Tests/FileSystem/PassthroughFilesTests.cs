using HcpModelFs.Core.FileSystem;
using HcpModelFs.Core.Tests.Cache;
using HcpModelFs.Fuse;
using Microsoft.Win32.SafeHandles;

namespace HcpModelFs.Core.Tests.FileSystem;

/// <summary>The kernel's passthrough rules, kept per node: never mix, one backing id, closed after the last release.</summary>
public sealed class PassthroughFilesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeBackingFiles _backing = new();
    private readonly ListLogger<PassthroughFilesTests> _logger = new();
    private readonly string _file;

    public PassthroughFilesTests()
    {
        _file = Path.Combine(_dir.Path, "data");
        File.WriteAllBytes(_file, [1, 2, 3]);
    }

    public void Dispose() => _dir.Dispose();

    private PassthroughFiles NewTable(bool enabled = true)
    {
        var table = new PassthroughFiles(enabled, _logger);
        table.OnInitialized(_backing);
        return table;
    }

    [Fact]
    public void Opens_of_a_verified_file_share_one_backing_id_closed_after_the_last_release()
    {
        var table = NewTable();

        var first = table.Open(7, "k", _file);
        var second = table.Open(7, "k", _file);

        Assert.Equal(11, first);
        Assert.Equal(first, second);
        Assert.Equal(1, _backing.Opens);
        table.Release(7, passthrough: true);
        Assert.Empty(_backing.Closed);
        table.Release(7, passthrough: true);
        Assert.Equal([11], _backing.Closed);
    }

    [Fact]
    public void A_node_with_an_ordinary_open_outstanding_is_not_switched_to_passthrough()
    {
        var table = NewTable();
        Assert.Equal(0, table.Open(7, "k", null)); // partial file: ordinary I/O

        Assert.Equal(0, table.Open(7, "k", _file)); // now complete, but the first open is still there
        table.Release(7, passthrough: false);
        table.Release(7, passthrough: false);

        Assert.Equal(11, table.Open(7, "k", _file)); // nothing outstanding any more
        Assert.Equal(1, _backing.Opens);
    }

    [Fact]
    public void A_node_in_passthrough_stays_passthrough_for_every_further_open()
    {
        var table = NewTable();
        var id = table.Open(7, "k", _file);

        Assert.Equal(id, table.Open(7, "k", null)); // an ordinary open now would fail the user's open() with EIO
        Assert.Equal(1, _backing.Opens);
    }

    [Fact]
    public void Disabled_unavailable_or_refused_passthrough_answers_ordinary_io()
    {
        Assert.Equal(0, NewTable(enabled: false).Open(1, "k", _file));

        _backing.IsAvailable = false;
        Assert.Equal(0, NewTable().Open(2, "k", _file));

        _backing.IsAvailable = true;
        _backing.Refuse = Errno.EPERM;
        Assert.Equal(0, NewTable().Open(3, "k", _file));
        Assert.Equal(1, _logger.Count(3006));
    }

    private sealed class FakeBackingFiles : IFuseBackingFiles
    {
        public bool IsAvailable { get; set; } = true;

        public Errno Refuse { get; set; } = Errno.Success;

        public int Opens { get; private set; }

        public List<int> Closed { get; } = [];

        public FuseResult<int> Open(SafeFileHandle file)
        {
            Assert.False(file.IsInvalid);
            Opens++;
            return Refuse == Errno.Success ? 11 : Refuse;
        }

        public Errno Close(int backingId)
        {
            Closed.Add(backingId);
            return Errno.Success;
        }
    }
}
